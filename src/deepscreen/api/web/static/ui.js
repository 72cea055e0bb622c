// deepscreen reviewer UI: keyboard shortcuts and lease renewal on a task page. No libraries.
(function () {
  "use strict";

  var status = document.getElementById("status");
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function announce(text) {
    if (status) { status.textContent = text; }
  }

  function typing(target) {
    var tag = target && target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    return tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox";
  }

  // ---- keyboard shortcuts: a radio with data-key="v" is checked by pressing v; Enter submits.
  function setUpShortcuts(form) {
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) { return; }
      if (typing(event.target)) { return; }  // there the browser's own Enter submits
      if (event.key === "Enter") {
        var tag = event.target && event.target.tagName;
        if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY") { return; }
        event.preventDefault();
        form.requestSubmit();
        return;
      }
      var choice = form.querySelector('input[data-key="' + CSS.escape(event.key) + '"]');
      if (choice) {
        event.preventDefault();
        choice.checked = true;
        choice.focus();
      }
    });
  }

  // ---- the lease: count down, and renew while the reviewer is active on the page.
  function setUpLease(lease) {
    var left = document.getElementById("lease-left");
    var until = document.getElementById("lease-until");
    var leaseSeconds = parseFloat(lease.dataset.leaseSeconds);
    var deadline = Date.now() + parseFloat(lease.dataset.secondsLeft) * 1000;
    var renewEvery = Math.max(5, Math.min(leaseSeconds / 3, 120)) * 1000;
    var active = false;
    var lost = false;

    ["keydown", "pointerdown", "pointermove", "scroll", "focusin"].forEach(function (name) {
      document.addEventListener(name, function () { active = true; }, { passive: true });
    });

    function show() {
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(seconds / 60);
      left.textContent = minutes + " min " + (seconds % 60) + " s";
      if (seconds === 0 && !lost) {
        lost = true;
        announce("Your lease on this task has expired: another reviewer may claim it.");
      }
    }

    function renew() {
      if (lost || !active) { return; }
      active = false;
      fetch(lease.dataset.renewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" }
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error((body.error && body.error.message) || response.status); }
          deadline = Date.now() + body.seconds_left * 1000;
          until.textContent = body.lease_expires_at.replace("T", " ").replace(/\..*|\+00:00/, "") + " UTC";
          until.setAttribute("datetime", body.lease_expires_at);
        });
      }).catch(function (error) {
        lost = true;
        announce("Could not renew your lease on this task (" + error.message + ").");
      });
    }

    show();
    window.setInterval(show, 1000);
    window.setInterval(renew, renewEvery);
  }

  var form = document.getElementById("decide-form");
  if (form) { setUpShortcuts(form); }
  var lease = document.getElementById("lease");
  if (lease) { setUpLease(lease); }
}());
