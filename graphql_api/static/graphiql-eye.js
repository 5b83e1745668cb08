// GraphiQL for The Eye: queries and mutations over HTTP, subscriptions over a WebSocket
// (graphql-transport-ws, with the graphql-ws client). The Headers tab's JSON goes with both:
// as HTTP headers, and as the connection_init payload, where the server reads the token.
(function () {
  "use strict";
  var path = window.location.pathname;
  var wsUrl = (window.location.protocol === "https:" ? "wss://" : "ws://") +
    window.location.host + path;
  var http = GraphiQL.createFetcher({ url: path });
  var clients = {};

  // One lazy client per set of headers: it connects for the first subscription and closes
  // after the last, so a changed token takes effect on the next run.
  function wsClient(headers) {
    var key = JSON.stringify(headers || {});
    if (!clients[key]) {
      clients[key] = graphqlWs.createClient({
        url: wsUrl, lazy: true, retryAttempts: 0, connectionParams: headers || {},
      });
    }
    return clients[key];
  }

  // GraphiQL's parsed document may lag behind the editor's text: trust it only when it was
  // parsed from the text being run, else read the operation's keyword from the text.
  function isSubscription(params, opts) {
    var query = params.query || "";
    var doc = opts && opts.documentAST;
    if (doc && doc.loc && doc.loc.source && doc.loc.source.body === query) {
      var ops = doc.definitions.filter(function (d) { return d.kind === "OperationDefinition"; });
      var op = params.operationName
        ? ops.find(function (d) { return d.name && d.name.value === params.operationName; })
        : ops[0];
      return Boolean(op) && op.operation === "subscription";
    }
    var text = query.replace(/#[^\n]*/g, "");
    if (params.operationName) {
      return new RegExp("\\bsubscription\\s+" + params.operationName + "\\b").test(text);
    }
    return /^\s*subscription\b/.test(text);
  }

  function closed(error) {
    // graphql-ws reports a closed socket as its CloseEvent: say which close it was.
    if (error && typeof error.code === "number" && "reason" in error) {
      return new Error("the server closed the connection: " + error.code + " " + error.reason);
    }
    return error;
  }

  function fetcher(params, opts) {
    if (!isSubscription(params, opts)) {
      return http(params, opts);
    }
    var client = wsClient(opts && opts.headers);
    return {
      subscribe: function (observer) {
        var dispose = client.subscribe(params, {
          next: function (value) { observer.next(value); },
          error: function (error) { observer.error(closed(error)); },
          complete: function () { observer.complete(); },
        });
        return { unsubscribe: dispose };
      },
    };
  }

  // shouldPersistHeaders keeps the Headers tab out of the saved tabs, but GraphiQL 3 still
  // writes each run's headers into its saved history: everything stored passes through here,
  // which drops any "headers" field, so a pasted token never lands in localStorage.
  function withoutHeaders(value) {
    if (Array.isArray(value)) {
      return value.map(withoutHeaders);
    }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (k) {
        if (k !== "headers") { out[k] = withoutHeaders(value[k]); }
      });
      return out;
    }
    return value;
  }

  var storage = {
    getItem: function (key) { return window.localStorage.getItem(key); },
    setItem: function (key, value) {
      var kept = value;
      try {
        kept = JSON.stringify(withoutHeaders(JSON.parse(value)));
      } catch (e) {
        kept = value;  // not JSON (a query's text): no headers in it
      }
      window.localStorage.setItem(key, kept);
    },
    removeItem: function (key) { window.localStorage.removeItem(key); },
    get length() {
      return Object.keys(window.localStorage).filter(function (k) {
        return k.indexOf("graphiql:") === 0;
      }).length;
    },
    clear: function () {
      Object.keys(window.localStorage).forEach(function (k) {
        if (k.indexOf("graphiql:") === 0) { window.localStorage.removeItem(k); }
      });
    },
  };

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      defaultEditorToolsVisibility: "headers",
      // A pasted token stays in this tab only, never in localStorage.
      shouldPersistHeaders: false,
      defaultHeaders: JSON.stringify(
        { Authorization: "Bearer <token from `eye tokens add NAME`>" }, null, 2),
      defaultQuery: "{ events(first: 10) { edges { cursor node { sessionId category name data " +
        "timestamp } } pageInfo { hasNextPage endCursor } } }\n\n" +
        "# Subscriptions run here too, over a WebSocket; for new events as they are stored:\n" +
        "# subscription { events(filter: {category: \"page interaction\"}) " +
        "{ sessionId name data timestamp } }\n",
    }));
})();
