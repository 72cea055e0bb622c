// deepscreen reviewer UI: times in the reader's zone, keyboard shortcuts (deciding on a task
// page, claiming on the queue pages), the action picker and lease renewal. No libraries.
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

  function plainKey(event) {
    return !(event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) &&
      !typing(event.target);
  }

  // ---- times: <time datetime=ISO data-local> is written in UTC words on the server; here it
  // becomes "Mon 7 Dec, 14:05 (in 3 h)" in the browser's zone, the ISO kept in the attribute.
  var dateFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23"
  });
  var yearFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23"
  });

  function span(ms) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    if (minutes < 1) { return null; }
    if (minutes < 60) { return minutes + " min"; }
    var hours = Math.round(minutes / 60);
    if (hours < 48) { return hours + " h"; }
    return Math.round(hours / 24) + " d";
  }

  function localTime(iso, relative) {
    var at = new Date(iso);
    if (isNaN(at.getTime())) { return null; }
    var sameYear = at.getFullYear() === new Date().getFullYear();
    var text = (sameYear ? dateFormat : yearFormat).format(at);
    if (!relative) { return text; }
    var away = at.getTime() - Date.now();
    var words = span(away);
    return text + " (" + (words === null ? "now" : (away > 0 ? "in " + words : words + " ago")) + ")";
  }

  function showLocal(element) {
    var text = localTime(element.getAttribute("datetime"), element.dataset.local !== "at");
    if (text !== null) { element.textContent = text; }
  }

  function setUpTimes() {
    var times = document.querySelectorAll("time[datetime][data-local]");
    times.forEach(showLocal);
    window.setInterval(function () { times.forEach(showLocal); }, 60000);
  }

  // ---- a task page: a radio with data-key="v" is checked by pressing v; Enter submits with
  // the default button ("and next"). The action picker is off unless the verdict is violating.
  function setUpShortcuts(form) {
    var submitter = form.querySelector("[data-default-submit]");
    document.addEventListener("keydown", function (event) {
      if (!plainKey(event)) { return; }  // in a text field the browser's own Enter submits
      if (event.key === "Enter") {
        var tag = event.target && event.target.tagName;
        if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY") { return; }
        event.preventDefault();
        form.requestSubmit(submitter || undefined);
        return;
      }
      var choice = form.querySelector(
        'input[data-key="' + CSS.escape(event.key) + '"]:not(:disabled)');
      if (choice) {
        event.preventDefault();
        choice.checked = true;
        choice.focus();
        choice.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function setUpActionPicker(form) {
    var actions = document.getElementById("action-choices");
    if (!actions) { return; }
    function sync() {
      var clearing = form.querySelector('input[name="verdict"][value="not_violating"]:checked');
      actions.disabled = Boolean(clearing);
    }
    form.addEventListener("change", function (event) {
      sync();
      var input = event.target;
      if (input.name === "action" && input.checked) {
        announce("Action: " + input.value.replace("_", " ") + ".");
      }
    });
    sync();
  }

  // ---- the queue pages: j/k or the arrows choose the queue, c claims its next task.
  function setUpClaimKeys(form) {
    var select = form.querySelector('select[name="queue"]');
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-queue]"));

    function highlight() {
      rows.forEach(function (row) {
        var on = Boolean(select) && row.dataset.queue === select.value;
        row.classList.toggle("is-selected", on);
        if (on) { row.setAttribute("aria-current", "true"); } else { row.removeAttribute("aria-current"); }
      });
    }

    function move(step) {
      if (!select || !select.options.length) { return; }
      var index = Math.max(0, Math.min(select.options.length - 1, select.selectedIndex + step));
      select.selectedIndex = index;
      highlight();
      var row = rows.filter(function (r) { return r.dataset.queue === select.value; })[0];
      var summary = row ? ": " + row.dataset.summary : "";
      announce("Queue " + select.options[index].text + summary + ". Press c to claim.");
    }

    document.addEventListener("keydown", function (event) {
      if (!plainKey(event)) { return; }
      if (event.key === "j" || event.key === "ArrowDown") { event.preventDefault(); move(1); }
      else if (event.key === "k" || event.key === "ArrowUp") { event.preventDefault(); move(-1); }
      else if (event.key === "c") {
        event.preventDefault();
        announce("Claiming the next task…");
        form.requestSubmit();
      }
    });
    if (select) { select.addEventListener("change", highlight); }
    highlight();
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
          until.setAttribute("datetime", body.lease_expires_at);
          showLocal(until);
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

  setUpTimes();
  var form = document.getElementById("decide-form");
  if (form) {
    setUpShortcuts(form);
    setUpActionPicker(form);
  }
  var claimForm = document.querySelector("form[data-claim-keys]");
  if (claimForm) { setUpClaimKeys(claimForm); }
  var lease = document.getElementById("lease");
  if (lease) { setUpLease(lease); }
}());
