// Progress of a referral import: polls the page's status.json and updates the bar; reloads the page
// once the import has finished, so the result and the report link appear. No inline script (CSP).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "true") { return; }
  var url = box.dataset.statusUrl;
  var bar = document.getElementById("import-bar");
  var done = document.getElementById("import-done");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 3000); return; }
        bar.max = Math.max(data.total, 1);
        bar.value = data.done;
        done.textContent = data.done;
        if (data.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 300);
})();
