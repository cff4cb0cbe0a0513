const mysql = require('mysql2/promise');
const { App } = require('@slack/bolt');

const pool = mysql.createPool('mysql://admin_rw:ep7I03WdTIfNV1ww2JPa10@mysql.acme.internal:3306/admin');
const replica = mysql.createPool({
  host: 'mysql-replica.acme.internal',
  user: 'admin_ro',
  password: process.env.MYSQL_REPLICA_PASSWORD,
  database: 'admin',
});
const archive = 'mysql://archive:k35tr3l*Cobalt87@archive-db.acme.internal/archive';
const localDev = 'mysql://root@localhost:3306/admin';

const slack = new App({
  token: 'xoxb-342468248840-2231384448060-F1PqSu1r7rl7J0cEhveL1xa6',
  appToken: 'xapp-1-A9463BRWH2D-9814656733743-1ad4c3f93d1ee6b8eeff90ae81f4f64949a210f5e78d01ba9088c43160a0c8b2',
  signingSecret: 'd4eabab255cff0be6724b795ec81b2d4',
  socketMode: true,
});
const slackUserToken = 'xoxp-577313245303-60763373770-7402076607290-45cc6eb18d5ce08e732c5015c181f2da';

module.exports = { pool, replica, archive, localDev, slack, slackUserToken };
