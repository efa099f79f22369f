/*!
 * payout-flows embed SDK — one call to embed a payout flow in your page.
 *
 *   <div id="payouts"></div>
 *   <script src="https://YOUR-FLOWS-SERVER/app/embed.js"></script>
 *   <script>
 *     var flow = PayoutFlows.embed({
 *       link: flowLinkFromYourServer,            // the flow's `link` (POST /api/v2/flows)
 *       container: document.getElementById("payouts"),
 *       onCompleted: function (msg) { refreshPayouts(); },
 *       onExit: function (msg) { flow.destroy(); showDashboard(); }
 *     });
 *   </script>
 *
 * PayoutFlows.embed(options) -> { iframe, setLocale(locale), destroy() }
 *   options.link         required: the flow link (absolute http(s) URL)
 *   options.container    required: the element (or a CSS selector) to put the iframe in
 *   options.locale       the flow's language ("en", "es"; "es-MX" works too); otherwise the
 *                        link's ?locale=, else the browser's languages, else English. A
 *                        language the flow does not speak shows English.
 *   options.onMessage(msg)        every message, before the specific callback
 *   options.onReady(msg)          the flow shows its first screen
 *   options.onResize(msg)         msg.height: new content height in CSS px (the iframe is
 *                                 already resized)
 *   options.onStepCompleted(msg)  msg.step, msg.status ("completed" | "completed-saved")
 *   options.onCompleted(msg)      every step is done
 *   options.onRedirect(msg)       msg.url: the flow is leaving for it; return false to handle
 *                                 the navigation yourself (otherwise this page navigates to
 *                                 msg.url, http(s) only — a framed flow usually may not)
 *   options.onExit(msg)           the user chose "Go to dashboard"
 *   options.onError(msg)          msg.message: the flow cannot go on
 *   options.onSessionExpired(msg) the session ended: create a new flow link and embed again
 *
 * setLocale(locale) switches the shown language at any time (a set_locale message to the
 * flow's frame; the flow takes it only from this page's origin once it is on your app's allowed
 * origins, so send it after onReady). The current screen is re-rendered in the new language,
 * so what the user typed on it is lost: prefer options.locale, or call it from onReady.
 *
 * Every msg is { source: "payout-flows", version: 1, type, flow_id, ... }. Messages are
 * accepted only from the flow's exact origin, from this iframe's window, with that source.
 * Treat them as UI hints: trust webhooks or GET /api/v2/flows/{id} for state.
 *
 * The flow only posts messages to origins on your app's allowed-origins list; add this page's
 * origin there. No dependencies; ES5.
 */
(function (global) {
  "use strict";

  var SOURCE = "payout-flows";
  var CALLBACKS = {
    ready: "onReady",
    resize: "onResize",
    step_completed: "onStepCompleted",
    completed: "onCompleted",
    redirect: "onRedirect",
    exit: "onExit",
    error: "onError",
    session_expired: "onSessionExpired"
  };

  function isHttpUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url);
  }

  function call(fn, msg) {
    if (typeof fn !== "function") return undefined;
    try {
      return fn(msg);
    } catch (e) {
      if (global.console && global.console.error) global.console.error(e);
      return undefined;
    }
  }

  function embed(options) {
    if (!options || !isHttpUrl(options.link)) {
      throw new Error("PayoutFlows.embed: options.link must be an http(s) flow link");
    }
    var container = options.container;
    if (typeof container === "string") container = document.querySelector(container);
    if (!container || typeof container.appendChild !== "function") {
      throw new Error("PayoutFlows.embed: options.container must be an element or a selector");
    }

    var src = new URL(options.link);
    var flowOrigin = src.origin;
    // Tells the flow which origin embeds it; the flow server checks it against the app's
    // allow-list before the flow posts anything here.
    src.searchParams.set("host_origin", global.location.origin);
    if (typeof options.locale === "string" && options.locale) {
      src.searchParams.set("locale", options.locale);
    }

    var iframe = document.createElement("iframe");
    iframe.src = src.toString();
    iframe.title = "Payout flow";
    iframe.setAttribute("allow", "camera");
    iframe.setAttribute(
      "sandbox",
      "allow-scripts allow-same-origin allow-forms allow-popups " +
        "allow-top-navigation-by-user-activation"
    );
    iframe.style.width = "100%";
    iframe.style.border = "0";
    iframe.style.display = "block";

    function onMessage(event) {
      if (event.origin !== flowOrigin) return;
      if (event.source !== iframe.contentWindow) return;
      var msg = event.data;
      if (!msg || typeof msg !== "object" || msg.source !== SOURCE) return;

      if (msg.type === "resize" && typeof msg.height === "number" && msg.height >= 0) {
        iframe.style.height = Math.ceil(msg.height) + "px";
      }
      call(options.onMessage, msg);
      var result = call(options[CALLBACKS[msg.type]], msg);
      if (msg.type === "redirect" && result !== false && isHttpUrl(msg.url)) {
        global.location.assign(msg.url);
      }
    }

    global.addEventListener("message", onMessage);
    container.appendChild(iframe);

    return {
      iframe: iframe,
      setLocale: function (locale) {
        if (typeof locale !== "string" || !iframe.contentWindow) return;
        iframe.contentWindow.postMessage({ type: "set_locale", locale: locale }, flowOrigin);
      },
      destroy: function () {
        global.removeEventListener("message", onMessage);
        if (iframe.parentNode) iframe.parentNode.removeChild(iframe);
      }
    };
  }

  global.PayoutFlows = { embed: embed, version: 1 };
})(window);
