// Small enhancements of every page; each part leaves a working page behind when the script does not run.
(function () {
  "use strict";

  // The main menu folds behind one button on a phone (style.css shows the button below 640 px only).
  // Without this script the links simply stay visible.
  var header = document.querySelector("header.top");
  var toggle = header && header.querySelector(".menu-toggle");
  if (toggle) {
    header.classList.add("js-menu");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        toggle.setAttribute("aria-expanded", "false");
        header.classList.remove("menu-open");
        toggle.focus();
      }
    });
  }

  // Every table of a page scrolls inside its own box, so a wide one never widens the page on a phone.
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.parentElement.classList.contains("table-wrap")) { return; }
    var box = document.createElement("div");
    box.className = "table-wrap";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });

  // A table box that scrolls sideways can be scrolled from the keyboard too: it joins the tab order, named
  // after its table's caption or the heading above it.
  function markScrollable() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var caption = box.querySelector("caption");
        var heading = caption || (box.closest("section, article, main") || document).querySelector("h1, h2, h3");
        if (heading) { box.setAttribute("aria-label", heading.textContent.trim()); }
      }
    });
  }
  markScrollable();
  window.addEventListener("resize", markScrollable);

  // A slider shows its value as it moves: <output data-range-for="id"> next to it (the server writes the
  // starting value, so without script the number shown is the saved one).
  document.querySelectorAll("output[data-range-for]").forEach(function (output) {
    var slider = document.getElementById(output.getAttribute("data-range-for"));
    if (!slider) { return; }
    slider.addEventListener("input", function () { output.textContent = slider.value; });
  });
})();
