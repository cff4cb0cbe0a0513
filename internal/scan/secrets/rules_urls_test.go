package secrets

import "testing"

var urlCases = []ruleCase{
	{rule: "postgres-url-password",
		tp: []string{
			`DATABASE_URL=postgres://app:Xk29fjs8Lq@db.internal:5432/app?sslmode=require`,
			`  url: "postgresql://reporting:v9T!q2mZ@pg-prod-1.eu-west-1.rds.amazonaws.com/reports"`,
			`engine = create_engine("postgresql+psycopg2://etl:h8oOOL8dKLzd@warehouse:5432/dw")`,
			`REDSHIFT_URL=redshift://loader:Qm4kT7vXp2@analytics.abc123.eu-west-1.redshift.amazonaws.com:5439/dev`,
			`result_backend = db+postgresql://airflow_results:l8_RAlXXAoEZW@airflow-db:5432/airflow`,
			`DATABASE_URL=postgres://shop_app:or10n.Pepper57@shop-db.internal.shop.io:5432/shop`,
		},
		fp: []string{
			`DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app`,
			`postgres://user:password@host:5432/db`,
			`dsn := fmt.Sprintf("postgres://%s:%s@%s/%s", user, pass, host, name)`,
			`url = f"postgresql://{user}:{password}@{host}/{db}"`,
			`postgres://app:Xk29fjs8Lq@db.example.com/app`,
			`postgres://postgres:postgres@localhost:5432/postgres`,
			`postgres://app:<password>@db:5432/app`,
			`postgres://app:****@db:5432/app`,
		}},
	{rule: "mysql-url-password",
		tp: []string{
			`MYSQL_URL=mysql://shop:Rb7e!x92Kd@mysql-primary:3306/shop`,
			`SQLALCHEMY_DATABASE_URI = 'mysql+pymysql://web:u8jzPde0IgxL@10.0.4.12/web'`,
			`"url": "mariadb://billing:Zr4%40pQ81w@maria.prod.corp:3306/billing"`,
		},
		fp: []string{
			`mysql://root:root@127.0.0.1:3306/test`,
			`mysql://user:changeme@db/app`,
			`mysql://root:$MYSQL_ROOT_PASSWORD@db/app`,
			`mysql://root:{{ .Values.mysql.password }}@db/app`,
		}},
	{rule: "mysql-dsn-password",
		tp: []string{
			`db, err := sql.Open("mysql", "api:d6GncfBAepfJ@tcp(mysql.prod.svc:3306)/orders?parseTime=true")`,
			`MYSQL_DSN=reader:Tq8#vX2mLp@tcp(10.20.0.5:3306)/analytics`,
			`dsn: "app:Wq9zK2v7Rx@unix(/cloudsql/acme-prod:europe-west1:main)/app"`,
		},
		fp: []string{
			`sql.Open("mysql", "root:secret@tcp(127.0.0.1:3306)/test")`,
			`dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", user, pass, addr, db)`,
			`sql.Open("mysql", "user:password@tcp(db:3306)/app")`,
		}},
	{rule: "mongodb-url-password",
		tp: []string{
			`MONGO_URI=mongodb+srv://svc-api:IhKtJ0RlgLKO@cluster0.ab1cd.mongodb.net/prod?retryWrites=true`,
			`mongodb://admin:Pz7qL2xK9v@mongo-0.mongo:27017,mongo-1.mongo:27017/?replicaSet=rs0`,
		},
		fp: []string{
			`mongodb+srv://<username>:<password>@cluster0.mongodb.net/test`,
			`mongodb://admin:admin@localhost:27017`,
			`mongodb://mongo:27017/app`,
		}},
	{rule: "redis-url-password",
		tp: []string{
			`REDIS_URL=redis://:Hq8vM2pLx7Zt@cache.prod.internal:6379/0`,
			`cache: "rediss://default:AbX9k2LmQ7pR4v@redis-12345.c1.eu-west-1-2.ec2.cloud.redislabs.com:12345"`,
		},
		fp: []string{
			`redis://:foobared@cache:6379`,
			`REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379/0`,
			`redis://redis:6379/0`,
		}},
	{rule: "amqp-url-password",
		tp: []string{
			`BROKER_URL=amqp://guest:s3cr3tRabbit@mq:5672/`,
			`celery_broker = "amqps://orders:Vx7q2LmK9p@b-1234.mq.eu-west-1.amazonaws.com:5671"`,
		},
		fp: []string{
			`amqp://guest:guest@localhost:5672/`,
			`amqp://user:pass@rabbit:5672/`,
			`amqp://guest:guest@rabbitmq:5672/`,
		}},
	{rule: "mail-url-password",
		tp: []string{
			`EMAIL_URL=smtp://postmaster@mg.shop.io:Kd82mXq7Lp@smtp.mailgun.org:587`,
			`mailer_dsn: "smtps://alerts:Rt5vQ9x2Lm@smtp.office365.com:465"`,
			`IMAP_URL=imaps://support%40shop.io:Zq7Kx2mV9p@imap.gmail.com:993`,
		},
		fp: []string{
			`smtp://user:password@smtp.example.com:587`,
			`smtp://mailhog:1025`,
			`smtp://user:${SMTP_PASSWORD}@smtp.sendgrid.net:587`,
		}},
	{rule: "file-transfer-url-password",
		tp: []string{
			`FTP_URL=ftp://uploader:Mx82kQ7vLp@ftp.partner-files.net/incoming`,
			`remote: sftp://backup:h8oOOL8dKLzd@files.corp.internal:22/backups`,
		},
		fp: []string{
			`ftp://anonymous:anonymous@ftp.gnu.org/`,
			`sftp://user:password@host/path`,
			`ssh://git@github.com/org/repo.git`,
		}},
	{rule: "ldap-url-password",
		tp: []string{
			`LDAP_URL=ldaps://cn=svc-bind,dc=corp:Lq9vX2mK7p@ldap.corp.internal:636`,
			`url: "ldap://binduser:Wvj7FAc9QeWJ@dc01.ad.corp:389/dc=ad,dc=corp"`,
		},
		fp: []string{
			`ldap://ldap.corp.internal:389/dc=corp`,
			`ldap://admin:${LDAP_ADMIN_PASSWORD}@openldap:389`,
		}},
	{rule: "mssql-url-password",
		tp: []string{
			`SQLSERVER_URL=sqlserver://sa:Zq8!vK2mLp7x@sql01.corp.internal:1433?database=erp`,
			`engine = create_engine("mssql+pyodbc://report:Hx7qL2mV9k@mssql-prod/reports?driver=ODBC+Driver+18")`,
		},
		fp: []string{
			`sqlserver://sa:yourStrong(!)Password@localhost:1433`,
			`sqlserver://sa:%s@%s:1433`,
		}},
	{rule: "oracle-connect-password",
		tp: []string{
			`url: jdbc:oracle:thin:erp_app/Kq82vXm7Lp@ora-prod.corp:1521:ERP`,
			`sqlplus -s batch/Vx7q2LmK9p@//ora-rac-scan.corp:1521/BILLING < job.sql`,
			`DATABASE_URL = "oracle+cx_oracle://hr:Pz7qL2xK9v@oracle.internal:1521/?service_name=HR"`,
		},
		fp: []string{
			`jdbc:oracle:thin:scott/tiger@localhost:1521:orcl`,
			`sqlplus scott/tiger@orcl`,
			`sqlplus -s $DB_USER/$DB_PASS@$DB_TNS`,
		}},
	{rule: "cassandra-url-password",
		tp: []string{
			`CASSANDRA_URL=cassandra://migrator:Rb7eX92Kdq@cassandra-0.cassandra:9042/events`,
			`url: "scylla://app:Tq8vX2mLp9@scylla-node1.prod:9042/ks"`,
		},
		fp: []string{
			`cassandra://cassandra:cassandra@localhost:9042/test`,
			`cassandra://cassandra-0.cassandra:9042/events`,
		}},
	{rule: "couchbase-url-password",
		tp: []string{
			`COUCHBASE_URL=couchbases://app:Lq9vX2mK7p@cb.abc123.cloud.couchbase.com`,
			`conn := "couchbase://Administrator:Mx82kQ7vLp@cb-0.cb.prod.svc"`,
		},
		fp: []string{
			`couchbase://localhost`,
			`couchbase://Administrator:password@127.0.0.1`,
		}},
	{rule: "neo4j-url-password",
		tp: []string{
			`NEO4J_URI=neo4j+s://neo4j:Zq7Kx2mV9p@abcd1234.databases.neo4j.io`,
			`uri: "bolt://graph:Hq8vM2pLx7@neo4j-core-0.graph:7687"`,
		},
		fp: []string{
			`bolt://neo4j:neo4j@localhost:7687`,
			`neo4j://neo4j:${NEO4J_PASSWORD}@graph:7687`,
		}},
	{rule: "nats-url-password",
		tp: []string{
			`NATS_URL=nats://orders:Kd82mXq7Lp@nats-0.nats.prod:4222`,
			`servers: ["nats://svc:Vx7q2LmK9p@nats-a.corp:4222", "nats://svc:Vx7q2LmK9p@nats-b.corp:4222"]`,
		},
		fp: []string{
			`nats://nats:4222`,
			`nats://user:pass@127.0.0.1:4222`,
		}},
	{rule: "clickhouse-url-password",
		tp: []string{
			`CLICKHOUSE_URL=clickhouse://default:Wq9zK2v7Rx@ch-prod.corp:9000/metrics`,
			`dsn: "clickhouse://ingest:Rt5vQ9x2Lm@abc123.eu-central-1.aws.clickhouse.cloud:9440?secure=true"`,
		},
		fp: []string{
			`clickhouse://default:@localhost:9000`,
			`clickhouse://default:<password>@host:9440`,
		}},
	{rule: "trino-url-password",
		tp: []string{
			`TRINO_URL=trino://analyst:Pz7qL2xK9v@trino.data.corp:443/hive`,
			`engine = create_engine("presto://bi:Hx7qL2mV9k@presto-coordinator:8443/hive/default")`,
		},
		fp: []string{
			`trino://analyst@trino.data.corp:443/hive`,
			`trino://user:password@host:443/catalog`,
		}},
	{rule: "mqtt-url-password",
		tp: []string{
			`MQTT_BROKER=mqtts://sensor-gw:Mx82kQ7vLp@broker.iot.corp:8883`,
			`client.connect("mqtt://telemetry:Kq82vXm7Lp@mqtt.fleet.io:1883")`,
		},
		fp: []string{
			`mqtt://broker.hivemq.com:1883`,
			`mqtt://user:${MQTT_PASS}@broker:1883`,
		}},
	{rule: "rtsp-url-password",
		tp: []string{
			`CAMERA_STREAM=rtsp://viewer:Tq8vX2mLp9@10.1.20.31:554/Streaming/Channels/101`,
			`cv2.VideoCapture("rtsp://admin:Lq9vX2mK7p@cam-lobby.site3.corp/stream1")`,
		},
		fp: []string{
			`rtsp://admin:admin@192.168.1.64:554`,
			`rtsp://cam-lobby.site3.corp/stream1`,
		}},
	{rule: "socks-proxy-url-password",
		tp: []string{
			`ALL_PROXY=socks5://scraper:Rb7eX92Kdq@proxy.residential.net:1080`,
			`proxies = {"https": "socks5h://egress:Zq7Kx2mV9p@10.0.9.9:1080"}`,
		},
		fp: []string{
			`ALL_PROXY=socks5://127.0.0.1:9050`,
			`socks5://user:password@proxy:1080`,
		}},
	{rule: "elasticsearch-url-password",
		tp: []string{
			`ELASTICSEARCH_URL=https://elastic:Hq8vM2pLx7Zt@search-prod.es.eu-west-1.aws.found.io:9243`,
			`hosts: ["https://logstash_writer:Vx7q2LmK9p@10.0.3.7:9200"]`,
		},
		fp: []string{
			`https://elastic:changeme@elasticsearch:9200`,
			`https://elastic:${ELASTIC_PASSWORD}@es01:9200`,
			`curl https://es01:9200/_cluster/health`,
		}},
	{rule: "couchdb-url-password",
		tp: []string{
			`COUCHDB_URL=http://admin:Kd82mXq7Lp@couchdb.prod.svc:5984`,
			`nano("https://sync:Wq9zK2v7Rx@couch-1.corp:6984")`,
		},
		fp: []string{
			`http://admin:password@127.0.0.1:5984/_utils`,
			`http://couchdb:5984/_all_dbs`,
		}},
	{rule: "http-basic-auth-url",
		tp: []string{
			`https://deploy:Wvj7FAc9QeWJKY40uvSw@git.corp.internal/platform/infra.git`,
			`pip install --index-url https://ci:Tq8vX2mLp9Rz@nexus.corp.net/repository/pypi/simple pkg`,
			`http_proxy=http://proxyuser:Mx82kQ7vLp@proxy.corp:3128`,
		},
		fp: []string{
			`https://user:password@example.com/path`,
			`git clone https://${GIT_USER}:${GIT_TOKEN}@github.com/org/repo.git`,
			`https://github.com/org/repo.git`,
			`https://user:pass@host/`,
			`https://oauth2:$(cat /run/secrets/token)@gitlab.com/group/repo.git`,
		}},
	{rule: "local-url-password",
		tp: []string{
			`DATABASE_URL=postgres://app:Ld8vQ2mx7K@localhost:5432/app`,
			`sql.Open("mysql", "root:Qm4kT7vXp2@tcp(127.0.0.1:3306)/test")`,
			`REDIS_URL=redis://:Hq8vM2pLx7Zt@127.0.0.1:6379`,
		},
		fp: []string{
			`postgres://postgres:postgres@localhost:5432/postgres`,
			`amqp://guest:guest@localhost:5672/`,
			`postgres://app:${DB_PASSWORD}@localhost/app`,
			`postgres://app:Xk29fjs8Lq@db.internal:5432/app`,
		}},
	{rule: "kafka-sasl-password",
		tp: []string{
			`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="orders-svc" password="Wq9zK2v7RxTq8";`,
			`KAFKA_SASL_JAAS_CONFIG: "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ingest\" password=\"Lq9vX2mK7pZ4\";"`,
			`brokers: kafka://consumer:Rb7eX92Kdq@kafka-0.kafka.prod:9093`,
		},
		fp: []string{
			`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";`,
			`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${KAFKA_USER}" password="${KAFKA_PASSWORD}";`,
			`sasl.mechanism=PLAIN`,
		}},
	{rule: "jdbc-url-password",
		tp: []string{
			`spring.datasource.url=jdbc:mysql://mysql.prod.corp:3306/shop?user=shop&password=Zr4pQ81wXk&useSSL=true`,
			`url: "jdbc:sqlserver://sql01.corp:1433;databaseName=erp;user=erp_app;password=Kq82vXm7Lp;encrypt=true"`,
			`JDBC_URL=jdbc:postgresql://pg.prod:5432/app?user=app&password=Hx7qL2mV9k`,
		},
		fp: []string{
			`jdbc:postgresql://localhost:5432/test?user=test&password=Hx7qL2mV9k`,
			`jdbc:h2:mem:testdb;USER=sa;PASSWORD=Hx7qL2mV9k`,
			`jdbc:mysql://db:3306/app?user=app&password=${DB_PASSWORD}`,
			`jdbc:mysql://mysql.prod.corp:3306/shop?user=shop`,
		}},
	{rule: "connection-string-password",
		tp: []string{
			`"DefaultConnection": "Server=tcp:shop-sql.database.windows.net,1433;Initial Catalog=shop;User ID=shopadmin;Password=Wvj7FAc9Qe!J;Encrypt=True;"`,
			`<add name="Erp" connectionString="Data Source=SQLPROD01\ERP;Initial Catalog=Erp;User Id=erp_app;Password=Tq8vX2mLp9;" />`,
			`conn = pyodbc.connect("DRIVER={ODBC Driver 18 for SQL Server};SERVER=sql.corp.internal;UID=etl;PWD=Rt5vQ9x2Lm")`,
		},
		fp: []string{
			`"DefaultConnection": "Server=(localdb)\\mssqllocaldb;Database=App;Trusted_Connection=True;"`,
			`Server=myServerAddress;Database=myDataBase;User Id=myUsername;Password=myPassword;`,
			`Server=sql.corp;Database=app;User Id=app;Password=$(DB_PASSWORD);`,
			`Server=localhost;Database=app;User Id=sa;Password=Tq8vX2mLp9;`,
		}},
	{rule: "local-connection-string-password",
		tp: []string{
			`"DefaultConnection": "Server=localhost,1433;Database=App;User Id=sa;Password=Qm4kT7vXp2Lx;"`,
			`jdbc:h2:mem:testdb;USER=sa;PASSWORD=Hx7qL2mV9k`,
			`spring.datasource.url=jdbc:mysql://127.0.0.1:3306/app?user=app&password=Qm4kT7vXp2`,
		},
		fp: []string{
			`Server=sql.corp.internal;Database=app;User Id=app;Password=Tq8vX2mLp9;`,
			`Server=localhost;Database=app;User Id=sa;Password=<YourStrong@Passw0rd>;`,
			`jdbc:postgresql://pg.prod:5432/app?user=app&password=Hx7qL2mV9k`,
		}},
	{rule: "redis-connection-string-password",
		tp: []string{
			`"Cache": "shop-cache.redis.cache.windows.net:6380,password=ptLK3JwyARiSKVIiXzrarPz4oNWXQifzihqY5zJpnok=,ssl=True,abortConnect=False"`,
			`o.Configuration = "cache.corp.internal:6379,password=dvE8TEESH@AjuqLO7A!V5";`,
		},
		fp: []string{
			`"Cache": "localhost:6379,password=dvE8TEESH@AjuqLO7A!V5"`,
			`"Cache": "cache:6379,password=${REDIS_PASSWORD},ssl=False"`,
			`"Cache": "cache.corp.internal:6379,ssl=True"`,
		}},
	{rule: "url-query-credential",
		tp: []string{
			`WEBHOOK=https://hooks.partner.io/ingest?source=ci&access_token=Wvj7FAc9QeWJKY40uvSwMFLZ`,
			`fetch("https://api.weather-data.net/v2/forecast?city=oslo&apikey=74254770f58904dba41ecccc3fc1626e")`,
			`https://reports.corp.net/export.csv?user=bi&password=Tq8vX2mLp9`,
			`DEBUG POST /oauth/token body=grant_type=password&username=svc-sync&password=SQZmfFRY2hR13s&client_id=sync`,
			`10.0.3.9 - - [02/May/2024:10:15:08 +0000] "GET /api/v1/items?access_token=TmciXXzwGDUorxMRioNEu6twmNk7PgG6 HTTP/1.1" 200`,
		},
		fp: []string{
			`https://api.weather-data.net/v2/forecast?apikey=YOUR_API_KEY`,
			`https://api.service.io/v1/items?token=${TOKEN}`,
			`https://api.service.io/v1/items?page_token=Wvj7FAc9QeWJKY40uvSw`,
			`https://example.com/login?password=Tq8vX2mLp9`,
		}},
	{rule: "netrc-password",
		tp: []string{
			"machine api.heroku.com\n  login ops@shop.io\n  password Wvj7FAc9QeWJKY40",
			`machine git.corp.internal login ci-bot password Tq8vX2mLp9Rz`,
		},
		fp: []string{
			`machine example.com login user password secret`,
			`machine registry.corp login ci password $REGISTRY_TOKEN`,
			`The machine learning model needs a login and a password.`,
		}},
	{rule: "curl-user-password",
		tp: []string{
			`curl -u admin:Hq8vM2pLx7Zt https://jenkins.corp.internal/api/json`,
			`curl -sS --user "deploy:Rb7eX92Kdq" -X POST https://nexus.corp/service/rest/v1/components`,
		},
		fp: []string{
			`curl -u "$USER:$PASSWORD" https://api.corp/`,
			`curl -u user:password https://api.example.com`,
			`curl -u elastic https://es01:9200`,
		}},
	{rule: "http-basic-auth-header",
		tp: []string{
			`curl -H "Authorization: Basic ZGVwbG95OlZxNyNrTG0ycFh6OQ==" https://registry.corp/v2/`,
			`headers = {"Authorization": "Basic Y2ktYm90Omg4S2QybVE5dkx4NFJ0"}`,
			`req.Header.Set("Authorization", "Basic Y2ktYm90Omg4S2QybVE5dkx4NFJ0")`,
		},
		fp: []string{
			`Authorization: Basic YWRtaW46cGFzc3dvcmQ=`,
			`Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`,
			`Authorization: Basic bm9jb2xvbmhlcmUxMg==`,
			`Authorization: Basic dXNlcjo=`,
			`req.Header.Set("Authorization", "Basic "+basicAuth(user, pass))`,
		}},
	{rule: "http-bearer-token-header",
		tp: []string{
			`curl -H "Authorization: Bearer Wvj7FAc9QeWJKY40uvSwMFLZDe1f8rESQedUStPK" https://api.corp.io/v1/me`,
			`headers: { Authorization: 'Bearer R0CsTy4Qwb8DwkNhFdnXsiVpzz63FfkC' },`,
		},
		fp: []string{
			`Authorization: Bearer ${ACCESS_TOKEN}`,
			`Authorization: Bearer YOUR_ACCESS_TOKEN_HERE`,
			`Authorization: Bearer mF_9.B5f-4.1JqM`,
			`req.Header.Set("Authorization", "Bearer "+token)`,
		}},
}

func TestURLRules(t *testing.T) {
	rules := compiledRules(t)
	checkCases(t, urlCases, func(b []byte) []Match { return naiveFind(rules, b) })
}
