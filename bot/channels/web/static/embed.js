// The snippet other sites include: <script src="__ORIGIN__/embed.js" defer></script>
// It adds a button that opens Rehabbot's chat in a frame, and closes it again.
(function () {
  "use strict";
  var origin = "__ORIGIN__";
  var lang = (document.documentElement.lang || "sv").slice(0, 2) === "en" ? "en" : "sv";
  var words = lang === "en" ? { open: "Ask Rehabbot", close: "Close the chat", title: "Rehabbot chat" }
                            : { open: "Fråga Rehabbot", close: "Stäng chatten", title: "Rehabbots chatt" };
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = words.open;
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;bottom:1rem;right:1rem;z-index:2147483000;padding:.6rem 1rem;" +
    "background:#0b4f8a;color:#fff;border:2px solid #0b4f8a;border-radius:.4rem;font:inherit;cursor:pointer";
  var frame = null;
  button.addEventListener("click", function () {
    if (frame) {
      frame.remove();
      frame = null;
      button.textContent = words.open;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    frame = document.createElement("iframe");
    frame.src = origin + "/embed?lang=" + lang;
    frame.title = words.title;
    frame.style.cssText = "position:fixed;bottom:4.5rem;right:1rem;width:min(26rem,calc(100vw - 2rem));" +
      "height:min(40rem,calc(100vh - 6rem));border:2px solid #0b4f8a;border-radius:.5rem;background:#fff;" +
      "z-index:2147483000";
    document.body.appendChild(frame);
    button.textContent = words.close;
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  });
  document.body.appendChild(button);
}());
