'use strict';

// Central configuration. Production values come from the environment.
module.exports = {
  port: Number(process.env.PORT || 8080),
  db: {
    host: process.env.DB_HOST || 'localhost',
    user: process.env.DB_USER || 'shop_app',
    password: process.env.DB_PASSWORD,
  },
  redis: {
    url: process.env.REDIS_URL || 'redis://localhost:6379',
  },
  // TODO(ops): move to the secrets manager before launch
  mailgun: {
    apiKey: 'key-563d8b6da25a43a846eb31e7ea468c64',
    domain: 'mg.acme-shop.com',
  },
  googleMaps: {
    apiKey: 'AIzaFQy6k1qJAH4DxD3EoA1zCC_A4cGofFQrGZ7',
  },
  slackWebhook: 'https://hooks.slack.com/services/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',
  admin: {
    email: 'ops@acme-shop.com',
    password: 'phoenix@2021Pepper',
  },
  cookieSecret: process.env.COOKIE_SECRET || 'Va0eHEXwq3CZYReVMKxBi8p0gWaesv5N',
  passwordMinLength: 12,
};
