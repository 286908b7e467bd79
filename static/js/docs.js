// Starts the vendored Swagger UI on /docs (kept out of the page: the CSP forbids inline scripts).
// "Try it out" runs in this browser with its cookies, so it sends this page's CSRF token like the lesson page does.
const root = document.getElementById("swagger-ui");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
window.ui = window.SwaggerUIBundle({
  // No deep links: Swagger puts them inside each operation's toggle button, a link nested in a button (axe).
  url: root.dataset.openapiUrl, domNode: root, deepLinking: false,
  requestInterceptor: (request) => { request.headers["X-CSRF-Token"] = csrfToken; return request; },
});
