// Shows a pathway's BPMN diagrams with bpmn-js (read-only viewer): the main process, and below it each
// called process the instance stands in. Each box (.cp-diagram[data-src]) gives: data-src (the BPMN
// XML), data-current and data-done (JSON lists of element ids: where it waits, the path taken),
// data-failed (an element id) and data-error (the text shown when the diagram cannot be drawn).
(function () {
  "use strict";
  var boxes = document.querySelectorAll(".cp-diagram[data-src]");

  function list(box, name) {
    try { return JSON.parse(box.getAttribute(name) || "[]"); } catch (e) { return []; }
  }

  function show(box) {
    function fail() {
      box.classList.add("cp-diagram-failed");
      box.textContent = box.getAttribute("data-error") || "";
    }
    if (typeof window.BpmnJS !== "function") { fail(); return; }
    var current = list(box, "data-current");
    var done = list(box, "data-done");
    var failed = box.getAttribute("data-failed");
    fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) {
        var viewer = new window.BpmnJS({ container: box });
        return viewer.importXML(xml).then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          done.forEach(function (id) {
            if (registry.get(id) && current.indexOf(id) < 0) { canvas.addMarker(id, "cp-done"); }
          });
          current.forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, "cp-current"); }
          });
          if (failed && registry.get(failed)) { canvas.addMarker(failed, "cp-failed"); }
          canvas.zoom("fit-viewport", "auto");
          box.setAttribute("data-rendered", "true");
        });
      })
      .catch(fail);
  }

  Array.prototype.forEach.call(boxes, show);
}());
