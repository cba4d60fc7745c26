// The device check (webui/devicecheck): camera preview, microphone level, a test sound, a rough network
// check. The texts come translated in data-t-* attributes of #device-check; nothing leaves the browser
// except the timed download from this server.
(function () {
  "use strict";
  var root = document.getElementById("device-check");
  if (!root) { return; }
  var results = {browser: root.dataset.browserOk === "true" ? "ok" : (root.dataset.browserOk === "false" ? "fail" : "warn"),
                 camera: "pending", microphone: "pending", network: "pending", speaker: "untested"};
  var stream = null, audio = null, meterTimer = null, heard = false;

  function text(key) { return root.dataset["t" + key.replace(/(^|-)(\w)/g, function (m, d, c) { return c.toUpperCase(); })] || ""; }

  function set(name, state, status, advice) {
    var section = document.getElementById("check-" + name);
    section.dataset.state = state;
    section.querySelector(".status").textContent = status || "";
    section.querySelector(".advice").textContent = advice || "";
    results[name] = state;
    summary();
  }

  function summary() {
    var join = document.getElementById("join"), line = document.getElementById("check-summary");
    var states = Object.keys(results).map(function (k) { return results[k]; });
    if (states.indexOf("pending") >= 0) {
      if (join) { join.dataset.state = "running"; join.textContent = text("join-running"); }
      line.textContent = "";
      return;
    }
    var failed = states.indexOf("fail") >= 0;
    root.dataset.result = failed ? "failed" : "passed";
    line.textContent = text(failed ? "summary-failed" : "summary-passed");
    if (join) { join.dataset.state = failed ? "failed" : "passed"; join.textContent = text(failed ? "join-failed" : "join-passed"); }
  }

  function mediaError(error, which) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") {
      return ["denied", "denied-advice"];
    }
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") {
      return which === "audio" ? ["no-mic", "no-mic-advice"] : ["no-camera", "no-camera-advice"];
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") { return ["busy", "busy-advice"]; }
    return ["other", "other-advice"];
  }

  function stop() {
    if (meterTimer) { clearInterval(meterTimer); meterTimer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
  }

  function listen(audioStream) {
    var Context = window.AudioContext || window.webkitAudioContext;
    audio = audio || new Context();
    var analyser = audio.createAnalyser();
    analyser.fftSize = 1024;
    audio.createMediaStreamSource(audioStream).connect(analyser);
    var samples = new Float32Array(analyser.fftSize), meter = document.getElementById("mic-level"), loudest = 0, ticks = 0;
    set("microphone", "pending", text("waiting"));
    meterTimer = setInterval(function () {
      analyser.getFloatTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) { sum += samples[i] * samples[i]; }
      var level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      meter.value = level;
      loudest = Math.max(loudest, level);
      ticks += 1;
      if (loudest > 0.02 && results.microphone !== "ok") { set("microphone", "ok", text("mic-ok")); }
      else if (ticks === 50 && results.microphone === "pending") { set("microphone", "warn", text("mic-silent")); }
    }, 100);
  }

  function getMedia(constraints) { return navigator.mediaDevices.getUserMedia(constraints); }

  function checkMedia() {
    stop();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      set("camera", "fail", text("insecure"), text("insecure-advice"));
      set("microphone", "fail", text("insecure"), text("insecure-advice"));
      return Promise.resolve();
    }
    set("camera", "pending", text("waiting"));
    set("microphone", "pending", text("waiting"));
    return getMedia({video: true, audio: true}).then(function (both) {
      stream = both;
      document.getElementById("camera-preview").srcObject = both;
      set("camera", "ok", text("camera-ok"));
      listen(both);
    }, function (error) {
      var found = mediaError(error, "video");
      if (found[0] !== "no-camera") {  // refused or busy: the same for both
        set("camera", "fail", text(found[0]), text(found[1]));
        set("microphone", "fail", text(found[0]), text(found[1]));
        return;
      }
      // One of the two is missing: ask for each alone to say which.
      return getMedia({audio: true}).then(function (sound) {
        stream = sound;
        set("camera", "fail", text("no-camera"), text("no-camera-advice"));
        listen(sound);
      }, function (audioError) {
        var audioFound = mediaError(audioError, "audio");
        set("microphone", "fail", text(audioFound[0]), text(audioFound[1]));
        return getMedia({video: true}).then(function (picture) {
          stream = picture;
          document.getElementById("camera-preview").srcObject = picture;
          set("camera", "ok", text("camera-ok"));
        }, function () { set("camera", "fail", text("no-camera"), text("no-camera-advice")); });
      });
    });
  }

  function timed(kb) {
    var started = performance.now();
    return fetch(root.dataset.probeUrl + "?kb=" + kb + "&t=" + Date.now(), {cache: "no-store"})
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.arrayBuffer(); })
      .then(function (body) { return {ms: performance.now() - started, bytes: body.byteLength}; });
  }

  function checkNetwork() {
    set("network", "pending", text("waiting"));
    return timed(0).then(function (ping) {
      return timed(Number(root.dataset.probeKb)).then(function (load) {
        var kbit = Math.round(load.bytes * 8 / 1000 / Math.max(load.ms / 1000, 0.001));
        var latency = Math.round(ping.ms);
        var measured = text("measured").replace("%(speed)s", String(kbit)).replace("%(latency)s", String(latency));
        var good = kbit >= Number(root.dataset.goodKbit) && latency <= Number(root.dataset.goodLatency);
        root.dataset.networkKbit = String(kbit);
        if (good) { set("network", "ok", text("network-ok") + " (" + measured + ")"); }
        else { set("network", "warn", text("network-slow") + " (" + measured + ")", text("network-slow-advice")); }
      });
    }).catch(function () { set("network", "fail", text("network-fail"), text("network-fail-advice")); });
  }

  function playSound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    audio = audio || new Context();
    var tone = audio.createOscillator(), gain = audio.createGain();
    tone.frequency.value = 440;
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 1);
    document.getElementById("speaker-answer").hidden = false;
    set("speaker", "untested", text("speaker-ask"));
  }

  function run() {
    document.getElementById("start-check").hidden = true;
    checkMedia();
    checkNetwork();
  }

  document.getElementById("start-check").addEventListener("click", run);
  document.getElementById("check-again").addEventListener("click", run);
  document.getElementById("play-sound").addEventListener("click", playSound);
  document.getElementById("heard-yes").addEventListener("click", function () { heard = true; set("speaker", "ok", text("speaker-ok")); });
  document.getElementById("heard-no").addEventListener("click", function () { heard = false; set("speaker", "fail", text("speaker-fail"), text("speaker-advice")); });
  window.addEventListener("pagehide", stop);
  summary();
}());
