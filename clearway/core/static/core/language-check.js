// The live language check: kinder words (and a reading age) shown under each text box marked
// data-language-check, as the person writes. Progressive enhancement: without this script the
// same advice appears after the form is sent. The advice region is aria-live="polite", so a
// screen reader hears new advice when the person pauses. It advises; it never blocks.
//
// The page's layout loads this script with data-url (the check's address) and the CSP nonce.
// <textarea data-language-check="advice"> or data-language-check="reading-age" (adds the
// reading age). The region is the element with data-language-advice-for="<the box's id>"
// (the language_advice macro in contact/language_advice.jinja), made here if absent.
(function () {
  "use strict";

  var script = document.currentScript;
  var url = script && script.getAttribute("data-url");
  if (!url || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var PAUSE_MS = 500;

  function csrfToken(box) {
    var scope = box.form || document;
    var input = scope.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function regionFor(box) {
    var regions = document.querySelectorAll("[data-language-advice-for]");
    for (var i = 0; i < regions.length; i++) {
      if (regions[i].getAttribute("data-language-advice-for") === box.id) {
        return regions[i];
      }
    }
    var region = document.createElement("div");
    region.className = "app-language-advice";
    region.id = box.id + "-language-advice";
    region.setAttribute("data-language-advice-for", box.id);
    region.setAttribute("aria-live", "polite");
    var group = box.closest(".nhsuk-form-group") || box;
    group.insertAdjacentElement("afterend", region);
    return region;
  }

  function watch(box) {
    if (!box.id) {
      return;
    }
    var region = regionFor(box);
    var describedBy = (box.getAttribute("aria-describedby") || "").split(/\s+/);
    if (describedBy.indexOf(region.id) === -1) {
      describedBy.push(region.id);
      box.setAttribute("aria-describedby", describedBy.join(" ").trim());
    }
    var timer = null;
    var checked = box.value;
    var shown = null;
    var pending = null;

    function show(html) {
      if (html !== shown) {
        shown = html;
        region.innerHTML = html;
      }
    }

    function send() {
      var text = box.value;
      if (text === checked) {
        return;
      }
      checked = text;
      if (pending) {
        pending.abort();
      }
      pending = window.AbortController ? new AbortController() : null;
      var body = new URLSearchParams();
      body.set("text", text);
      if (box.getAttribute("data-language-check") === "reading-age") {
        body.set("reading_age", "1");
      }
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(box), "X-Requested-With": "fetch" },
        signal: pending ? pending.signal : undefined
      }).then(function (response) {
        if (response.status === 204) {
          return "";
        }
        if (!response.ok) {
          throw new Error("The language check did not answer: " + response.status);
        }
        return response.text();
      }).then(show).catch(function () {
        // The check is advice only: if it cannot answer, the person carries on without it.
      });
    }

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(send, PAUSE_MS);
    });
  }

  var boxes = document.querySelectorAll("[data-language-check]");
  for (var i = 0; i < boxes.length; i++) {
    watch(boxes[i]);
  }
})();
