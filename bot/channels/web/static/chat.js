// Progressive enhancement only: the pages work without this file. It makes the chat's forms
// do their round trip without reloading (the server's answer is the same page), moves focus
// to the new turn and announces it, and gives the map zoom buttons.
(function () {
  "use strict";

  function replaceMain(html, anchor) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.getElementById("main");
    if (!main) { return false; }
    document.getElementById("main").replaceWith(main);
    bind();
    var target = document.getElementById(anchor || lastTurn());
    if (target) {
      target.focus();
      target.scrollIntoView({ block: "start" });
    } else {
      var q = document.getElementById("q");
      if (q) { q.focus(); }
    }
    return true;
  }

  function submit(event) {
    var form = event.target;
    if (!window.fetch || !window.FormData || !window.DOMParser) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
      .then(function (response) {
        var anchor = response.url.split("#")[1] || "";
        return response.text().then(function (html) {
          var hash = response.redirected ? anchor : "";
          if (!replaceMain(html, hash)) { window.location.reload(); }
        });
      })
      .catch(function () { form.submit(); });
  }

  function lastTurn() {
    var turns = document.querySelectorAll(".turn");
    return turns.length ? turns[turns.length - 1].id : "";
  }

  function zoom() {
    var frame = document.querySelector(".map-frame");
    var svg = frame && frame.querySelector("svg");
    var tools = document.querySelector(".map-tools");
    if (!svg || !tools) { return; }
    var natural = svg.getBoundingClientRect().width || 800;
    var scale = 1;
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var how = event.target.getAttribute("data-zoom");
      if (!how) { return; }
      if (how === "in") { scale = Math.min(scale * 1.25, 4); }
      if (how === "out") { scale = Math.max(scale / 1.25, 0.2); }
      if (how === "fit") { scale = frame.clientWidth / natural; }
      svg.style.width = Math.round(natural * scale) + "px";
    });
  }

  function bind() {
    // The settings form reloads the whole page: its language is the page's, menus included.
    document.querySelectorAll("form[action='/chat']").forEach(function (form) {
      form.addEventListener("submit", submit);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(); zoom(); });
}());
