const http = require('http');
const config = require('./config');

const server = http.createServer((req, res) => {
  res.writeHead(200, {'Content-Type': 'text/plain'});
  res.end('storefront ok\n');
});

server.listen(config.port, () => {
  console.log(`storefront listening on ${config.port}`);
});
