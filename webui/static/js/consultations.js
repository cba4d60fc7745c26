// Consultations: a countdown to the start, the join button switched on when the window opens, and
// nothing else. No inline scripts.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  // "1 day", "2 дня", "5 дней": the page's plural forms (from the catalog) chosen by the language's rules.
  var plural = new Intl.PluralRules(document.documentElement.lang || "en");
  function days(el, d) {
    var form = { one: el.dataset.dayOne, few: el.dataset.dayFew }[plural.select(d)] || el.dataset.dayMany;
    return form.replace("{n}", String(d));
  }
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-starts]").forEach(function (el) {
      var left = Math.floor(Number(el.dataset.starts) - now);
      if (left <= 0) { el.textContent = el.dataset.labelNow; return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = el.dataset.labelLeft + " " + (d ? days(el, d) + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    });
    document.querySelectorAll("[data-join-opens]").forEach(function (el) {
      if (now >= Number(el.dataset.joinOpens)) {
        var a = document.createElement("a");
        a.className = "button primary";
        a.href = el.dataset.joinHref;
        a.textContent = el.textContent.replace(/\s*\(.*\)\s*$/, "");
        el.replaceWith(a);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
})();
