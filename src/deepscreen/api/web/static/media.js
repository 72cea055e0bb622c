// deepscreen reviewer UI: the media panel's wellness filters (reveal by key or click) and a
// message when media fails to load. No libraries. The reveal state lives in this page only:
// it is never stored, and never sent with a decision.
(function () {
  "use strict";

  var box = document.getElementById("wellness");
  if (!box) { return; }
  var button = document.getElementById("media-reveal");
  var status = document.getElementById("status");
  var REVEAL_KEY = "b";

  function typing(target) {
    var tag = target && target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    return tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox";
  }

  function setRevealed(revealed) {
    box.classList.toggle("is-revealed", revealed);
    if (button) { button.setAttribute("aria-pressed", revealed ? "true" : "false"); }
    if (status) { status.textContent = revealed ? "Media revealed." : "Media filtered again."; }
  }

  function toggle() {
    setRevealed(!box.classList.contains("is-revealed"));
  }

  if (box.dataset.filtered === "true") {
    if (button) { button.addEventListener("click", toggle); }
    box.querySelectorAll("[data-reveal]").forEach(function (shield) {
      shield.addEventListener("click", function () { setRevealed(true); });
    });
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) { return; }
      if (typing(event.target) || event.key !== REVEAL_KEY) { return; }
      event.preventDefault();
      toggle();
    });
  }

  var error = document.getElementById("media-error");
  var main = box.querySelector(".media-main .media-content");
  if (main && error) {
    main.addEventListener("error", function () { error.hidden = false; });
  }
}());
