/* leadops.js - routes a form's answers to leadops and shows the visitor the outcome.
 * <script src="https://<api>/leadops.js" data-form="<source_id>" data-selector="#demo-form"></script>
 * Optional: data-display="modal|inline", data-target="<selector of the inline container>",
 * data-mode="inline|beacon", data-hubspot-form="<form guid>".
 * Never blocks or breaks the form's own submission: every error is swallowed, and a form that
 * navigates still submits (in the background once the outcome is shown, natively on failure).
 * Dispatches window event "leadops:routed" {outcome, owner_id, submission_id}. No dependency. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__leadopsBound === script.src + script.getAttribute("data-form")) return;
  var FIELD = "leadops_submission_id";
  var source = script.getAttribute("data-form") || "";
  var selector = script.getAttribute("data-selector");
  var display = script.getAttribute("data-display") || "modal";
  var mode = script.getAttribute("data-mode") || "inline";
  var hubspotForm = script.getAttribute("data-hubspot-form");
  var base = script.src.replace(/\/leadops\.js(\?.*)?$/, "");
  var endpoint = base + "/router/forms/" + encodeURIComponent(source) + "/submit";
  var hubspotAnswers = null;
  window.__leadopsBound = script.src + source;

  function newId() {
    try { if (window.crypto && crypto.randomUUID) return crypto.randomUUID(); } catch (e) {}
    var out = "";
    for (var i = 0; i < 32; i++) out += Math.floor(Math.random() * 16).toString(16);
    return out;
  }

  function hidden(form) {
    var input = form.querySelector('input[name="' + FIELD + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = FIELD;
      form.appendChild(input);
    }
    if (!input.value) input.value = newId();
    return input;
  }

  function answersOf(form) {
    var out = {};
    new FormData(form).forEach(function (value, key) {
      if (typeof value !== "string") return; /* files are never sent */
      out[key] = key in out ? [].concat(out[key], value) : value;
    });
    return out;
  }

  function emit(answer) {
    try {
      window.dispatchEvent(new CustomEvent("leadops:routed", { detail: {
        outcome: answer.outcome, owner_id: answer.owner_id || null,
        submission_id: answer.submission_id || null } }));
    } catch (e) {}
  }

  function box(form) {
    var target = script.getAttribute("data-target");
    var found = target && document.querySelector(target);
    if (found) { found.innerHTML = ""; return { el: found, close: function () {} }; }
    if (display === "inline") {
      var div = document.createElement("div");
      div.className = "leadops-outcome";
      form.parentNode.insertBefore(div, form.nextSibling);
      return { el: div, close: function () {} };
    }
    var overlay = document.createElement("div");
    overlay.className = "leadops-modal";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(17,24,39,.6);" +
      "display:flex;align-items:center;justify-content:center;padding:16px";
    var panel = document.createElement("div");
    panel.style.cssText = "background:#fff;border-radius:10px;width:min(960px,100%);max-height:100%;" +
      "overflow:auto;padding:36px 20px 20px;position:relative;box-sizing:border-box;" +
      "font:16px/1.5 system-ui,sans-serif;color:#1d2330;text-align:left";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Close");
    /* every property set: the host page's own button styles must not reach it */
    close.style.cssText = "all:unset;position:absolute;top:6px;right:14px;font:28px/1 system-ui," +
      "sans-serif;color:#4b5563;cursor:pointer;padding:4px";
    var remove = function () { if (overlay.parentNode) overlay.parentNode.removeChild(overlay); };
    close.onclick = remove;
    overlay.onclick = function (e) { if (e.target === overlay) remove(); };
    panel.appendChild(close);
    overlay.appendChild(panel);
    document.body.appendChild(overlay);
    return { el: panel, close: remove };
  }

  function show(form, answer) {
    if (answer.outcome === "redirect" && /^https?:\/\//i.test(answer.redirect_url || "")) {
      window.location.assign(answer.redirect_url);
      return;
    }
    var place = box(form).el;
    if (answer.outcome === "booking" && answer.booking_path) {
      var title = document.createElement("h2");
      title.className = "leadops-title";
      title.textContent = "Book your demo" + (answer.owner_name ? " with " + answer.owner_name : "");
      title.style.cssText = "margin:0 0 12px;font:600 20px/1.3 system-ui,sans-serif;color:#1d2330";
      place.appendChild(title);
      var frame = document.createElement("iframe");
      frame.className = "leadops-booking";
      frame.src = base + answer.booking_path;
      frame.title = "Book a demo";
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.style.cssText = "width:100%;height:680px;border:0";
      place.appendChild(frame);
    } else {
      var p = document.createElement("p");
      p.className = "leadops-message";
      p.setAttribute("role", "status");
      p.textContent = answer.message || "";
      p.style.cssText = "margin:0";
      place.appendChild(p);
    }
  }

  function route(answers, timeoutMs) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, timeoutMs || 10000);
    /* text/plain keeps it a "simple" request: no CORS preflight, one round trip */
    return fetch(endpoint, {
      method: "POST", body: JSON.stringify(answers), credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (timer) clearTimeout(timer);
      /* AWS trouble: nothing was stored; the form's own submission (and the vendor's webhook,
       * if the form has one) carries the lead instead */
      if (response.status >= 500) throw new Error("leadops unavailable");
      return response.json().then(function (body) {
        if (!response.ok) return { outcome: "message", message: body && body.message, refused: true };
        return body;
      });
    });
  }

  function navigates(form) {
    var target = (form.getAttribute("target") || "_self").toLowerCase();
    return form.hasAttribute("action") && (target === "_self" || target === "_top" || target === "_parent");
  }

  function submitInBackground(form) {
    try {
      var method = (form.getAttribute("method") || "GET").toUpperCase();
      var data = new FormData(form);
      var body = form.enctype === "multipart/form-data" ? data : new URLSearchParams(data);
      if (method === "GET") {
        var url = new URL(form.action);
        new URLSearchParams(data).forEach(function (v, k) { url.searchParams.append(k, v); });
        return fetch(url.toString(), { mode: "no-cors", keepalive: true, credentials: "include" });
      }
      return fetch(form.action, { method: "POST", body: body, mode: "no-cors", keepalive: true, credentials: "include" });
    } catch (e) { return null; }
  }

  function onSubmit(event) {
    var form = event.target;
    if (!selector || !form || !form.matches || !form.matches(selector)) return;
    try {
      var input = hidden(form);
      var answers = answersOf(form);
      if (mode === "beacon") {
        var blob = new Blob([JSON.stringify(answers)], { type: "text/plain;charset=UTF-8" });
        if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, blob))) route(answers).catch(function () {});
        return;
      }
      var native = !event.defaultPrevented && navigates(form);
      if (native) event.preventDefault(); /* shown first, submitted in the background below */
      route(answers).then(function (answer) {
        try {
          if (native) submitInBackground(form);
          input.value = newId(); /* a later submission is a new one */
          if (!answer.refused) emit(answer);
          show(form, answer);
        } catch (e) {}
      }, function () {
        /* the router did not answer: submit as if leadops were not here */
        if (native) HTMLFormElement.prototype.submit.call(form);
      });
    } catch (e) {
      /* never break the form */
    }
  }

  function bind() {
    if (!selector) return;
    var forms = document.querySelectorAll(selector);
    for (var i = 0; i < forms.length; i++) hidden(forms[i]);
  }

  /* HubSpot embedded forms: the legacy forms' message events (hsFormCallback), the callback
   * for hbspt.forms.create({onFormSubmitted: window.leadops.hubspot}), and new forms' events. */
  function fromPairs(pairs) {
    var out = {};
    for (var i = 0; pairs && i < pairs.length; i++) if (pairs[i] && pairs[i].name) out[pairs[i].name] = pairs[i].value;
    return out;
  }

  function hubspotRouted(answers, anchor) {
    if (!answers) return;
    if (!answers[FIELD]) answers[FIELD] = newId();
    route(answers).then(function (answer) {
      if (!answer.refused) emit(answer);
      show(anchor || document.body.lastChild, answer);
    }).catch(function () {});
  }

  window.addEventListener("message", function (event) {
    try {
      var data = event.data;
      if (!data || data.type !== "hsFormCallback") return;
      if (hubspotForm && data.id !== hubspotForm) return;
      if (data.eventName === "onFormReady") {
        var form = document.querySelector('form[data-form-id="' + data.id + '"]');
        var input = form && form.querySelector('input[name="' + FIELD + '"]');
        if (input && !input.value) input.value = newId();
      } else if (data.eventName === "onFormSubmit") {
        hubspotAnswers = fromPairs(data.data);
      } else if (data.eventName === "onFormSubmitted") {
        var values = (data.data && data.data.submissionValues) || hubspotAnswers;
        var anchor = document.querySelector('form[data-form-id="' + data.id + '"]');
        hubspotRouted(values, anchor);
      }
    } catch (e) {}
  });

  window.addEventListener("hs-form-event:on-submission:success", function (event) {
    try {
      var v4 = window.HubSpotFormsV4;
      var form = v4 && v4.getFormFromEvent && v4.getFormFromEvent(event);
      if (!form || (hubspotForm && form.getFormId && form.getFormId() !== hubspotForm)) return;
      form.getFormFieldValues().then(function (pairs) {
        var answers = {};
        var raw = fromPairs(pairs);
        for (var key in raw) answers[key.replace(/^\d+-\d+\//, "")] = raw[key];
        hubspotRouted(answers, null);
      }).catch(function () {});
    } catch (e) {}
  });

  window.leadops = window.leadops || {};
  window.leadops.hubspot = function (form, data) {
    try {
      var el = form && (form.jquery ? form[0] : form);
      hubspotRouted((data && data.submissionValues) || (el && el.tagName === "FORM" ? answersOf(el) : hubspotAnswers), el);
    } catch (e) {}
  };

  document.addEventListener("submit", onSubmit); /* bubbling: the site's own handlers run first */
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
