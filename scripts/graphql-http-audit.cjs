// Runs graphql-http's server audits against a GraphQL endpoint and prints their results as JSON.
// usage: node scripts/graphql-http-audit.cjs URL   (EYE_AUDIT_TOKEN: the bearer token to send;
// NODE_PATH: the node_modules holding graphql-http)
const { auditServer } = require('graphql-http');

const url = process.argv[2];
const token = process.env.EYE_AUDIT_TOKEN;
// Every request carries the token, as an authorised client's would; the audits set the rest.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

auditServer({ url, fetchFn }).then(
  (results) => {
    const plain = results.map((r) => ({ id: r.id, name: r.name, status: r.status,
                                        reason: r.reason || null }));
    process.stdout.write(JSON.stringify(plain));
  },
  (err) => { console.error(err); process.exit(2); },
);
