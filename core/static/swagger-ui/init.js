// Starts Swagger UI on /api/docs (a file of its own: the Content-Security-Policy allows no inline script).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.url, domNode: root, deepLinking: true });
})();
