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

  // A slider shows its value as it moves: <output data-range-for="id"> next to it (the server writes the
  // starting value, so without script the number shown is the saved one).
  document.querySelectorAll("output[data-range-for]").forEach(function (output) {
    var slider = document.getElementById(output.getAttribute("data-range-for"));
    if (!slider) { return; }
    slider.addEventListener("input", function () { output.textContent = slider.value; });
  });
})();
