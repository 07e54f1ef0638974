// The back office's own script: no inline scripts anywhere (the CSP forbids them).
"use strict";

// htmx requests that change something carry the session's CSRF token, like forms do.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.body.dataset.csrf;
  if (token) event.detail.headers["X-CSRF-Token"] = token;
});

// Elements with data-autofocus-error move focus to the first invalid field after a failed post.
document.addEventListener("DOMContentLoaded", () => {
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
});
