// Shows a pathway's BPMN diagram with bpmn-js (read-only viewer) and marks the current and failed
// elements. The page gives: data-src (the BPMN XML), data-current (JSON list of element ids),
// data-failed (an element id) and data-error (the text shown when the diagram cannot be drawn).
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) { return; }

  function fail(text) {
    box.classList.add("cp-diagram-failed");
    box.textContent = text || box.getAttribute("data-error") || "";
  }

  if (typeof window.BpmnJS !== "function") { fail(); return; }

  var current = [];
  try { current = JSON.parse(box.getAttribute("data-current") || "[]"); } catch (e) { current = []; }
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
        current.forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "cp-current"); }
        });
        if (failed && registry.get(failed)) { canvas.addMarker(failed, "cp-failed"); }
        canvas.zoom("fit-viewport", "auto");
        box.setAttribute("data-rendered", "true");
      });
    })
    .catch(function () { fail(); });
}());
