// The modeler page: loads the model's files, edits BPMN with the bpmn-js modeler (+ the side panel in
// props.js), DMN with dmn-js and form JSON with a live preview; saves drafts, validates (marking the
// elements a finding names), test-runs in the sandbox and deploys. All requests carry the CSRF token.
(function () {
  "use strict";
  var root = document.getElementById("studio");
  if (!root) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var t = function (key) { return root.getAttribute("data-t-" + key) || key; };
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var state = { files: {}, current: null, operators: [], roles: [], marked: [] };
  var bpmnModeler = null, dmnModeler = null, props = null, previewTimer = null;

  function status(text, ok, id) {
    var box = $(id || "studio-status");
    box.textContent = text || "";
    box.className = "studio-status" + (ok === true ? " ok" : ok === false ? " bad" : "");
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, message: "HTTP " + r.status }; });
    });
  }

  function isBpmn(p) { return /\.bpmn$/.test(p); }
  function isDmn(p) { return /\.dmn$/.test(p); }
  function formFiles() {
    return Object.keys(state.files).filter(function (p) { return /\.json$/.test(p) && p !== "model.json"; })
      .map(function (p) { return p.replace(/^forms\//, ""); }).sort();
  }

  // Writes what the open editor holds back into state.files.
  function flush() {
    var p = state.current;
    if (!p) { return Promise.resolve(); }
    if (isBpmn(p) && bpmnModeler) {
      return bpmnModeler.saveXML({ format: true }).then(function (r) { state.files[p] = r.xml; });
    }
    if (isDmn(p) && dmnModeler) {
      return dmnModeler.saveXML({ format: true }).then(function (r) { state.files[p] = r.xml; });
    }
    if (/\.json$/.test(p)) { state.files[p] = $("studio-form-text").value; }
    return Promise.resolve();
  }

  function renderFileButtons() {
    var box = $("studio-files");
    box.textContent = "";
    Object.keys(state.files).sort().forEach(function (p) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = p; b.setAttribute("data-file", p);
      b.setAttribute("aria-pressed", p === state.current ? "true" : "false");
      b.addEventListener("click", function () { flush().then(function () { open(p); }); });
      box.appendChild(b);
    });
  }

  function open(p) {
    state.current = p;
    renderFileButtons();
    $("studio-bpmn-pane").hidden = !isBpmn(p);
    $("studio-dmn").hidden = !isDmn(p);
    $("studio-form").hidden = !/\.json$/.test(p);
    if (isBpmn(p)) {
      return bpmnModeler.importXML(state.files[p]).then(function () {
        bpmnModeler.get("canvas").zoom("fit-viewport", "auto");
        remark();
        root.setAttribute("data-ready", "true");
      }).catch(function (e) { status(importProblem(e), false); });
    }
    if (isDmn(p)) {
      return loadDmn().then(function () {
        if (state.current !== p) { return; }  // another file was opened while dmn-js loaded
        if (!dmnModeler) { dmnModeler = new window.DmnJS({ container: $("studio-dmn") }); }
        return dmnModeler.importXML(state.files[p]).catch(function (e) { status(importProblem(e), false); });
      }, function () { $("studio-dmn").textContent = root.getAttribute("data-error"); });
    }
    $("studio-form-name").textContent = p;
    $("studio-form-text").value = state.files[p];
    preview();
  }

  // dmn-js and its styles (a megabyte) are fetched the first time a DMN file is opened: most models are
  // BPMN and forms only, and the page is usable without them.
  var dmnLoading = null;
  function loadDmn() {
    if (typeof window.DmnJS === "function") { return Promise.resolve(); }
    if (!dmnLoading) {
      dmnLoading = new Promise(function (resolve, reject) {
        var src = root.getAttribute("data-dmn-js");
        if (!src) { reject(new Error("dmn-js is not installed")); return; }
        JSON.parse(root.getAttribute("data-dmn-css") || "[]").forEach(function (href) {
          var link = document.createElement("link");
          link.rel = "stylesheet"; link.href = href;
          document.head.appendChild(link);
        });
        var script = document.createElement("script");
        script.src = src;
        script.onload = function () { if (typeof window.DmnJS === "function") { resolve(); } else { reject(new Error("dmn-js")); } };
        script.onerror = function () { dmnLoading = null; reject(new Error("dmn-js")); };
        document.head.appendChild(script);
      });
    }
    return dmnLoading;
  }

  function preview() {
    var text = $("studio-form-text").value;
    post(root.getAttribute("data-preview-url"), { schema: text }).then(function (r) {
      var errors = $("studio-form-errors");
      errors.textContent = "";
      (r.errors || []).forEach(function (e) { var li = document.createElement("li"); li.className = "error"; li.textContent = e; errors.appendChild(li); });
      if (r.ok) { $("studio-form-preview").innerHTML = r.html; }  // rendered by our server from our templates
      $("studio-form-preview").setAttribute("data-valid", r.ok ? "true" : "false");
    });
  }

  function newForm(name, title) {
    var path = "forms/" + name;
    if (!state.files[path]) {
      state.files[path] = JSON.stringify({
        title: title || name.replace(/\.json$/, ""), type: "object", required: ["answer"],
        properties: { answer: { type: "string", title: "Answer", maxLength: 500 } }
      }, null, 2);
    }
    renderFileButtons();
  }

  // Marks the elements findings name; clicking a finding selects its element.
  function remark() {
    if (!bpmnModeler) { return; }
    var canvas = bpmnModeler.get("canvas"), registry = bpmnModeler.get("elementRegistry");
    state.marked.forEach(function (m) { if (registry.get(m[0])) { canvas.removeMarker(m[0], m[1]); } });
    var marked = [];
    (state.findings || []).forEach(function (f) {
      if (f.element && f.file === state.current && registry.get(f.element)) {
        var cls = f.severity === "error" ? "studio-error" : "studio-warning";
        canvas.addMarker(f.element, cls); marked.push([f.element, cls]);
      }
    });
    (state.ran || []).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "studio-ran"); marked.push([id, "studio-ran"]); }
    });
    state.marked = marked;
  }

  function showFindings(findings) {
    state.findings = findings || [];
    var list = $("studio-findings");
    list.textContent = "";
    state.findings.forEach(function (f) {
      var li = document.createElement("li");
      li.className = f.severity;
      li.setAttribute("data-element", f.element || "");
      var where = (f.file || "") + (f.element ? " · " + f.element : "");
      if (f.element) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "link"; b.textContent = where;
        b.addEventListener("click", function () { select(f.file, f.element); });
        li.appendChild(b);
      } else { li.appendChild(document.createTextNode(where)); }
      li.appendChild(document.createTextNode(": " + f.text));
      list.appendChild(li);
    });
    if (!state.findings.length) { var li = document.createElement("li"); li.textContent = t("ok"); list.appendChild(li); }
    remark();
  }

  function select(file, id) {
    var go = state.current === file ? Promise.resolve() : flush().then(function () { return open(file); });
    go.then(function () {
      var element = bpmnModeler && bpmnModeler.get("elementRegistry").get(id);
      if (element) { bpmnModeler.get("selection").select(element); bpmnModeler.get("canvas").scrollToElement(element); }
    });
  }

  function withFiles(url, extra) {
    status(t("running"));
    return flush().then(function () { return post(url, Object.assign({ files: state.files }, extra || {})); });
  }

  // The modelers' own messages are English; the ones an analyst meets are said in the page's language.
  function importProblem(e) {
    var text = String((e && e.message) || e);
    if (/no diagram to display/i.test(text)) { return t("no-diagram"); }
    return t("import-failed") + " (" + text + ")";
  }

  function validate() {
    return withFiles(root.getAttribute("data-validate-url")).then(function (r) {
      showFindings(r.findings);
      status(r.ok ? t("ok") + (r.lint_ran ? "" : " (" + r.lint_note + ")") : t("problems"), !!r.ok);
      root.setAttribute("data-validated", r.ok ? "ok" : "problems");
    });
  }

  function deploy() {
    return withFiles(root.getAttribute("data-deploy-url")).then(function (r) {
      if (r.findings) { showFindings(r.findings); }
      status(r.message || (r.ok ? "" : t("problems")), !!r.ok);
      if (r.ok) { root.setAttribute("data-deployed", String(r.version)); $("studio-origin").textContent = "v" + r.version; }
    });
  }

  function saveDraft() {
    return withFiles(root.getAttribute("data-draft-url")).then(function (r) {
      if (r.findings) { showFindings(r.findings); }
      status(r.message || "", !!r.ok);
    });
  }

  function testRun() {
    $("studio-testrun-status").textContent = t("running");
    var extra = { start_data: $("studio-start-data").value, service_results: $("studio-service-results").value };
    return withFiles(root.getAttribute("data-testrun-url"), extra).then(function (r) {
      status("");
      if (r.findings && r.findings.length) { showFindings(r.findings); }
      var body = $("studio-steps").querySelector("tbody");
      body.textContent = "";
      state.ran = [];
      (r.steps || []).forEach(function (s, i) {
        var tr = document.createElement("tr");
        tr.className = "step-" + s.kind;
        var data = s.kind === "service" ? { operator: s.operator, params: s.params, result: s.result }
          : s.kind === "error" || s.kind === "stuck" ? s.message : s.kind === "waiting" ? s.messages : s.data;
        [String(i + 1), (s.at || "").replace("T", " ").slice(0, 16), t("step-" + s.kind),
         (s.element || "") + (s.title ? " — " + s.title : "")].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        var td = document.createElement("td"), code = document.createElement("code");
        code.textContent = data === undefined ? "" : JSON.stringify(data);
        td.appendChild(code); tr.appendChild(td); body.appendChild(tr);
        if (s.element) { state.ran.push(s.element); }
      });
      $("studio-steps").hidden = false;
      $("studio-testrun-status").textContent = r.message || r.status;
      $("studio-testrun-status").className = "studio-status " + (r.ok ? "ok" : "bad");
      root.setAttribute("data-testrun", r.status || "failed");
      remark();
    });
  }

  // bpmn-js's documented i18n hook: its `translate` service replaced by one that reads the page's table
  // (English template -> the page's language, from the catalog) and fills {placeholders} as bpmn-js does.
  function customTranslate(template, replacements) {
    var texts = customTranslate.texts || {};
    replacements = replacements || {};
    var text = Object.prototype.hasOwnProperty.call(texts, template) ? texts[template] : template;
    return String(text).replace(/{([^}]+)}/g, function (_, key) {
      return replacements[key] !== undefined ? replacements[key] : "{" + key + "}";
    });
  }

  function start() {
    var table = document.getElementById("studio-bpmn-js-texts");
    try { customTranslate.texts = table ? JSON.parse(table.textContent) : {}; } catch (e) { customTranslate.texts = {}; }
    if (typeof window.BpmnJS !== "function") { $("studio-canvas").textContent = root.getAttribute("data-error"); return; }
    fetch(root.getAttribute("data-files-url"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      state.files = data.files; state.operators = data.operators; state.roles = data.roles;
      $("studio-origin").textContent = data.origin === "draft" ? t("draft-from").replace("{version}", data.version) : t("version").replace("{version}", data.version);
      bpmnModeler = new window.BpmnJS({
        container: $("studio-canvas"),
        moddleExtensions: { spiffworkflow: window.CarePathSpiffModdle },
        additionalModules: [{ translate: ["value", customTranslate] }]
      });
      window.carepathStudio = { modeler: bpmnModeler, state: state };
      var texts = JSON.parse(root.getAttribute("data-props"));
      props = window.CarePathProps(bpmnModeler, $("studio-props"), {
        operators: state.operators, roles: state.roles, forms: formFiles, onNewForm: newForm, t: texts
      });
      var first = Object.keys(state.files).filter(isBpmn).sort()[0];
      open(first);
    });
    $("studio-validate").addEventListener("click", validate);
    $("studio-deploy").addEventListener("click", deploy);
    $("studio-save").addEventListener("click", saveDraft);
    $("studio-testrun").addEventListener("click", testRun);
    $("studio-testrun-go").addEventListener("click", function () { $("studio-testrun").scrollIntoView(); testRun(); });
    $("studio-form-text").addEventListener("input", function () {
      state.files[state.current] = $("studio-form-text").value;
      clearTimeout(previewTimer); previewTimer = setTimeout(preview, 400);
    });
  }

  start();
}());
