// The record form saves itself as a draft in the background (visits/record_page.py,
// intent "autosave"): some seconds after a change, and when the page is hidden or left
// (a phone switching apps, a dropped connection), so little typing is ever lost.
// It follows the record's revision rule: every save sends the revision the page
// holds and takes the new one back, so the next save (or the Save button) is not
// stale; a 409 means someone else saved meanwhile, and then it stops and says so
// rather than overwrite their draft.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  var status = document.getElementById("autosave-status");
  if (!form || !status || !window.fetch || !window.FormData) {
    return;
  }
  var dirty = false;
  var stopped = false;
  var submitting = false;
  var timer = null;
  var inflight = null;

  function delay() {
    var seconds = parseFloat(status.dataset.seconds);
    return (seconds > 0 ? seconds : 30) * 1000;
  }

  function show(text, failed) {
    status.textContent = text;
    status.classList.toggle("text-danger", !!failed);
    status.classList.toggle("text-body-secondary", !failed);
    status.hidden = false;
  }

  function setField(name, value) {
    var field = form.elements.namedItem(name);
    if (field && "value" in field) {
      field.value = value;
    }
  }

  function apply(result) {
    setField("record-revision", result.revision);
    // New rows got ids: the next save updates them instead of adding them again.
    Object.keys(result.problems || {}).forEach(function (index) {
      setField("problems-" + index + "-id", result.problems[index]);
    });
    Object.keys(result.actions || {}).forEach(function (index) {
      setField("actions-" + index + "-id", result.actions[index]);
    });
  }

  function schedule() {
    if (timer === null && !stopped && !submitting) {
      timer = window.setTimeout(function () {
        timer = null;
        save(false);
      }, delay());
    }
  }

  function save(leaving) {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (inflight) {
      // Saved again when this one is answered (dirty stays set meanwhile).
      return inflight;
    }
    if (!dirty || stopped || submitting) {
      return Promise.resolve();
    }
    dirty = false;
    var body = new FormData(form);
    body.set("intent", "autosave");
    // keepalive lets the request outlive the page when it is being left.
    inflight = fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: !!leaving,
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (result) {
          if (response.ok && result.saved) {
            apply(result);
            show(result.message, false);
            return;
          }
          if (response.status === 409) {
            stopped = true;
          } else {
            dirty = true;
          }
          show(result.message, true);
        });
      })
      .catch(function () {
        dirty = true;
        show(status.dataset.offline, true);
      })
      .then(function () {
        inflight = null;
        if (dirty) {
          schedule();
        }
      });
    return inflight;
  }

  function changed() {
    dirty = true;
    schedule();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  form.addEventListener("submit", function (event) {
    if (inflight) {
      // Let the background save finish first: the button's save then carries the
      // revision it produced instead of being refused as stale.
      event.preventDefault();
      var submitter = event.submitter || null;
      inflight.then(function () {
        if (form.requestSubmit) {
          form.requestSubmit(submitter);
        } else {
          form.submit();
        }
      });
      return;
    }
    submitting = true;
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      save(true);
    }
  });
  window.addEventListener("pagehide", function () {
    save(true);
  });
  // Back from the back/forward cache: the page is live again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      submitting = false;
    }
  });
})();
