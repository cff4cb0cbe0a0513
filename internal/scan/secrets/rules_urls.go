package secrets

import (
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Credentials in URLs and connection strings. The secret is always the
// password (or token) alone, never the user name or the whole URL.
//
// Local development credentials: a URL or connection string whose host is
// the machine itself (localhost, 127.0.0.0/8, ::1, 0.0.0.0,
// host.docker.internal, a Unix socket, an embedded database) is not
// reported by the per-scheme rule but by local-url-password or
// local-connection-string-password at low severity, so that a gate can
// treat development defaults apart from credentials of shared systems. On
// such hosts a password equal to the user name (postgres:postgres,
// guest:guest) is the image's published default and is not reported at
// all. Hosts reserved for documentation (example.com, *.example, *.test,
// *.invalid) and placeholder hosts (host, your-server, <host>) are
// not reported either.

// Pieces of URL patterns. The user name and the password may hold '@' (a
// greedy match backs off to the last '@' before the host), the password
// also ':', neither '/', '?' or '#'.
const (
	urlStart = `(?i)(?:^|[^a-z0-9+.-])`
	urlUser  = `[^\s:/?#"'<>\x60\\]*`
	urlPass  = `(?P<secret>[^\s/?#"'<>\x60\\]+)`
	// dsnPass is the password of a DSN, where '#' and '?' are literal.
	dsnPass = `(?P<secret>[^\s/"'<>\x60\\]+)`
	urlHost = `[^\s/?#@"'<>\x60\\]+`
	// urlCreds is "user:password@host" after a scheme's "://".
	urlCreds = urlUser + `:` + urlPass + `@` + urlHost
	// httpURL is case-sensitive and starts with a literal, which the
	// regular expression engine skips to directly: http:// is frequent.
	httpURL = `https?://` + urlCreds
)

// schemeURL returns the pattern of a URL with a password whose scheme
// matches schemes, possibly behind a transport prefix (Celery's
// db+postgresql://).
func schemeURL(schemes string) string {
	return urlStart + `(?:[a-z0-9]+\+)?(?:` + schemes + `)://` + urlCreds
}

// urlFamily describes one family of URL schemes whose user information
// carries a password. Its remediation reads "Change the <change> and load
// the URL from the environment or a secret store."
type urlFamily struct {
	id, title, pattern string
	keywords           []string
	verify             func(secret, match string) bool // nil: remoteURLOK
	change             string
	refs               []string
	severity           pipeline.Severity // zero: high
}

// urlRules covers credentials embedded in URLs, DSNs, JDBC URLs, ADO.NET
// and ODBC connection strings, .netrc files, curl command lines and HTTP
// Authorization headers.
func urlRules() []Rule {
	var rules []Rule
	for _, f := range urlFamilies() {
		r := Rule{
			ID: f.id, Title: f.title, Severity: f.severity, Keywords: f.keywords, Pattern: f.pattern, Verify: f.verify,
			Generic: true, References: f.refs,
			Remediation: "Change the " + f.change + " and load the URL from the environment or a secret store.",
		}
		if r.Verify == nil {
			r.Verify = remoteURLOK
		}
		if r.Severity == pipeline.SeverityUnknown {
			r.Severity = pipeline.SeverityHigh
		}
		rules = append(rules, r)
	}
	return slices.Concat(rules, dsnRules(), connectionStringRules(), headerRules())
}

func urlFamilies() []urlFamily {
	return []urlFamily{
		{"postgres-url-password", "Password in a PostgreSQL connection URL",
			schemeURL(`postgres(?:ql)?(?:\+[a-z0-9_]+)?|pgsql|redshift(?:\+[a-z0-9_]+)?|cockroachdb`),
			schemeKeywords("postgres", "postgresql", "pgsql", "redshift", "cockroachdb"), nil, "role's password (ALTER ROLE ... PASSWORD)",
			[]string{"https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS"}, 0},
		{"mysql-url-password", "Password in a MySQL or MariaDB connection URL", schemeURL(`mysql(?:x|\+[a-z0-9_]+)?|mariadb(?:\+[a-z0-9_]+)?`),
			schemeKeywords("mysql", "mysqlx", "mariadb"), nil, "account's password (ALTER USER ... IDENTIFIED BY)",
			[]string{"https://dev.mysql.com/doc/refman/8.0/en/connecting-using-uri-or-key-value-pairs.html"}, 0},
		{"mongodb-url-password", "Password in a MongoDB connection string", schemeURL(`mongodb(?:\+srv)?`),
			schemeKeywords("mongodb"), nil, "database user's password (db.changeUserPassword or Atlas Database Access)",
			[]string{"https://www.mongodb.com/docs/manual/reference/connection-string/"}, 0},
		{"redis-url-password", "Password in a Redis or Valkey URL", schemeURL(`rediss?|redis\+sentinel|valkeys?`),
			schemeKeywords("redis", "rediss", "valkey", "valkeys"), nil, "password (requirepass or ACL SETUSER)",
			[]string{"https://www.iana.org/assignments/uri-schemes/prov/redis"}, 0},
		{"amqp-url-password", "Password in an AMQP (RabbitMQ) URL", schemeURL(`amqps?`),
			schemeKeywords("amqp", "amqps"), nil, "broker user's password (rabbitmqctl change_password)",
			[]string{"https://www.rabbitmq.com/docs/uri-spec"}, 0},
		{"mail-url-password", "Password in a mail server (SMTP, IMAP, POP3) URL", schemeURL(`smtps?|submission|imaps?|pop3s?`),
			schemeKeywords("smtp", "smtps", "submission", "imap", "imaps", "pop3", "pop3s"), nil, "mailbox or relay password (or revoke the app password)",
			[]string{"https://datatracker.ietf.org/doc/html/rfc5092", "https://www.iana.org/assignments/uri-schemes/uri-schemes.xhtml"}, 0},
		{"file-transfer-url-password", "Password in an FTP, SFTP or SSH URL", schemeURL(`ftps?|sftp|ssh|scp|rsync`),
			schemeKeywords("ftp", "ftps", "ssh", "scp", "rsync"), nil, "account's password (better, switch to key-based authentication)",
			[]string{"https://datatracker.ietf.org/doc/html/rfc1738#section-3.2", "https://datatracker.ietf.org/doc/html/draft-ietf-secsh-scp-sftp-ssh-uri-04"}, 0},
		{"ldap-url-password", "Password in an LDAP URL", schemeURL(`ldaps?|ldapi`),
			schemeKeywords("ldap", "ldaps", "ldapi"), nil, "bind account's password in the directory",
			[]string{"https://datatracker.ietf.org/doc/html/rfc4516"}, 0},
		{"mssql-url-password", "Password in a SQL Server connection URL", schemeURL(`mssql(?:\+[a-z0-9_]+)?|sqlserver`),
			schemeKeywords("mssql", "sqlserver"), nil, "login's password (ALTER LOGIN ... WITH PASSWORD)",
			[]string{"https://github.com/microsoft/go-mssqldb#connection-parameters-and-dsn"}, 0},
		{"cassandra-url-password", "Password in a Cassandra or ScyllaDB URL", schemeURL(`cassandra|scylla(?:db)?|cql`),
			schemeKeywords("cassandra", "scylla", "scylladb", "cql"), nil, "role's password (ALTER ROLE ... WITH PASSWORD)",
			[]string{"https://github.com/golang-migrate/migrate/tree/master/database/cassandra"}, 0},
		{"couchbase-url-password", "Password in a Couchbase connection string", schemeURL(`couchbases?`),
			schemeKeywords("couchbase", "couchbases"), nil, "Couchbase user's password",
			[]string{"https://docs.couchbase.com/go-sdk/current/howtos/managing-connections.html"}, 0},
		{"neo4j-url-password", "Password in a Neo4j (Bolt) URL", schemeURL(`neo4j(?:\+s|\+ssc)?|bolt(?:\+s|\+ssc)?`),
			schemeKeywords("neo4j", "bolt"), nil, "database user's password (ALTER USER ... SET PASSWORD)",
			[]string{"https://neo4j.com/docs/go-manual/current/connect-advanced/"}, 0},
		{"nats-url-password", "Password in a NATS URL", schemeURL(`nats(?:\+tls)?`),
			schemeKeywords("nats"), nil, "user's password in the NATS server configuration",
			[]string{"https://docs.nats.io/using-nats/developer/connecting/userpass"}, 0},
		{"clickhouse-url-password", "Password in a ClickHouse connection URL", schemeURL(`clickhouse(?:s|\+[a-z0-9_]+)?`),
			schemeKeywords("clickhouse", "clickhouses"), nil, "user's password (ALTER USER ... IDENTIFIED BY)",
			[]string{"https://github.com/ClickHouse/clickhouse-go#dsn"}, 0},
		{"trino-url-password", "Password in a Trino or Presto URL", schemeURL(`trino|presto`),
			schemeKeywords("trino", "presto"), nil, "user's password in the coordinator's password authenticator",
			[]string{"https://github.com/trinodb/trino-python-client#sqlalchemy"}, 0},
		{"mqtt-url-password", "Password in an MQTT broker URL", schemeURL(`mqtts?|mqtt\+ssl`),
			schemeKeywords("mqtt", "mqtts"), nil, "broker user's password",
			[]string{"https://github.com/mqtt/mqtt.org/wiki/URI-Scheme"}, 0},
		{"rtsp-url-password", "Password in an RTSP (camera stream) URL", schemeURL(`rtsps?`),
			schemeKeywords("rtsp", "rtsps"), nil, "camera's or stream server's password",
			[]string{"https://datatracker.ietf.org/doc/html/rfc7826#section-20.2"}, 0},
		{"socks-proxy-url-password", "Password in a SOCKS proxy URL", schemeURL(`socks[45]?[ah]?`),
			schemeKeywords("socks", "socks4", "socks4a", "socks5", "socks5h"), nil, "proxy account's password",
			[]string{"https://datatracker.ietf.org/doc/html/rfc1929", "https://curl.se/docs/manpage.html#-x"}, pipeline.SeverityMedium},
		{"elasticsearch-url-password", "Password in an Elasticsearch or OpenSearch URL", schemeURL(`https?`),
			[]string{"elastic", "opensearch", ":9200", ":9243"}, searchURLOK, "user's password (or invalidate the API key) in the cluster's security settings",
			[]string{"https://www.elastic.co/guide/en/elasticsearch/reference/current/http-clients.html"}, 0},
		{"couchdb-url-password", "Password in a CouchDB URL", schemeURL(`https?|couchdbs?`),
			[]string{"couchdb", ":5984", ":6984"}, couchURLOK, "CouchDB user's or admin's password",
			[]string{"https://docs.couchdb.org/en/stable/api/basics.html"}, 0},
		{"http-basic-auth-url", "Password in an HTTP(S) URL (basic auth, git credentials)", httpURL,
			[]string{"http://", "https://"}, httpURLOK, "password or revoke the token at the service (for .git-credentials, at the git host), use a credential helper,",
			[]string{"https://datatracker.ietf.org/doc/html/rfc3986#section-3.2.1", "https://git-scm.com/docs/git-credential-store"}, 0},
	}
}

// schemeKeywords returns the keywords of URL schemes: "scheme://" and,
// for SQLAlchemy-style driver suffixes, "scheme+".
func schemeKeywords(schemes ...string) []string {
	var kw []string
	for _, s := range schemes {
		kw = append(kw, s+"://", s+"+")
	}
	return kw
}

// dsnHost is the address of a Go MySQL driver DSN: tcp(host:port) or
// unix(/path/to/socket).
const dsnHost = `(?:tcp6?\([^)\s"'/]*\)|unix\([^)\s"']*\))`

// dsnRules covers credentials in data source names that are not plain
// scheme URLs: the Go MySQL driver's DSN, Oracle's user/password@host
// forms, Kafka's JAAS configuration, and every URL or DSN pointing at the
// local machine.
func dsnRules() []Rule {
	return []Rule{{
		ID: "mysql-dsn-password", Title: "Password in a MySQL DSN (user:password@tcp(host))", Severity: pipeline.SeverityHigh,
		Keywords: []string{"@tcp(", "@tcp6(", "@unix("},
		Pattern:  `(?i)(?:^|["'\x60\s=(])` + urlUser + `:` + dsnPass + `@` + dsnHost,
		Verify: func(secret, match string) bool {
			user, host, ok := urlParts(match)
			unixLocal := strings.Contains(match, "@unix(") && !strings.Contains(match, "/cloudsql/")
			return ok && !unixLocal && !isLoopback(host) && !isDocHost(host) && passwordOK(user, secret)
		},
		Generic:     true,
		Remediation: "Change the account's password (ALTER USER ... IDENTIFIED BY) and build the DSN from the environment or a secret store.",
		References:  []string{"https://github.com/go-sql-driver/mysql#dsn-data-source-name"},
	}, {
		ID: "oracle-connect-password", Title: "Password in an Oracle connect string (user/password@host)", Severity: pipeline.SeverityHigh,
		Keywords: []string{"oracle://", "oracle+", "jdbc:oracle:", "sqlplus"},
		Pattern: `(?i)(?:(?:^|[^a-z0-9+.-])oracle(?:\+[a-z0-9_]+)?://` + urlUser + `:` +
			`|jdbc:oracle:(?:thin|oci8?):[^\s/@:"']+/` + `|\bsqlplus(?:\s+-[a-z]+)*\s+["']?[^\s/@"'-][^\s/@"']*/)` +
			`(?P<secret>[^\s/@"'<>\x60\\]+)@(?://)?` + urlHost,
		Verify:      oracleOK,
		Generic:     true,
		Remediation: "Change the schema user's password (ALTER USER ... IDENTIFIED BY) and use a wallet or an external password store.",
		References:  []string{"https://docs.oracle.com/en/database/oracle/oracle-database/19/netag/configuring-naming-methods.html#GUID-B0437826-43C1-49EC-A94D-B650B6A4A6EE", "https://docs.sqlalchemy.org/en/20/dialects/oracle.html"},
	}, {
		ID: "kafka-sasl-password", Title: "Kafka SASL password (JAAS configuration or kafka:// URL)", Severity: pipeline.SeverityHigh,
		Keywords: []string{"loginmodule", "kafka://", "kafka+"},
		Pattern: `(?i)(?:LoginModule\s+required\b[^;\n]*?\bpassword\s*=\s*\\?"` +
			`|(?:^|[^a-z0-9+.-])kafka(?:\+[a-z]+)?://` + urlUser + `:)` +
			`(?P<secret>[^\s"'\\<>\x60]+)(?:\\?"|@` + urlHost + `)`,
		Verify:      kafkaOK,
		Remediation: "Change the SASL user's password (kafka-configs --alter --add-config SCRAM-...) or rotate the API key, and load the JAAS line from a secret store.",
		References:  []string{"https://kafka.apache.org/documentation/#security_sasl_plain_clientconfig", "https://kafka.apache.org/documentation/#security_sasl_scram_clientconfig"},
	}, {
		ID: "local-url-password", Title: "Password in a connection URL to a local host (development credential)", Severity: pipeline.SeverityLow,
		Keywords: []string{"@localhost", "@127.", "@[::1]", "@0.0.0.0", "@host.docker.internal", "@tcp(localhost", "@tcp(127.", "@unix("},
		Pattern: `(?i)(?:(?:^|[^a-z0-9+.-])[a-z][a-z0-9+.-]*://|(?:^|["'\x60\s=(]))` + urlUser + `:` + dsnPass +
			`@(?:` + dsnHost + `|` + urlHost + `)`,
		Verify:      localURLOK,
		Generic:     true,
		Remediation: "Keep even development passwords out of the repository (use an uncommitted .env file) and never reuse them on shared hosts.",
		References:  []string{"https://datatracker.ietf.org/doc/html/rfc3986#section-3.2.1", "https://github.com/go-sql-driver/mysql#dsn-data-source-name"},
	}}
}

// oracleOK checks an Oracle connect string: the host must be remote and
// the password not the scott/tiger demo account.
func oracleOK(secret, match string) bool {
	at := strings.LastIndexByte(match, '@')
	pre := match[:at]
	var user string
	if i := strings.Index(pre, "://"); i >= 0 {
		user, _, _ = strings.Cut(pre[i+3:], ":")
	} else {
		pre = pre[:strings.LastIndexByte(pre, '/')]
		user = pre[strings.LastIndexAny(pre, " \t:\"'")+1:]
	}
	host := hostName(strings.TrimPrefix(match[at+1:], "//"))
	return !isLoopback(host) && !isDocHost(host) && passwordOK(user, secret) &&
		!notLiteralSecret(secret, []byte(match))
}

// kafkaOK checks a Kafka SASL password. A JAAS line must close its quote;
// one that carries a Confluent Cloud API key and secret is left to the
// Confluent rule.
func kafkaOK(secret, match string) bool {
	if strings.Contains(match, "://") {
		user, host, ok := urlParts(match)
		return ok && !isLoopback(host) && !isDocHost(host) && passwordOK(user, secret) &&
			!notLiteralSecret(secret, []byte(match))
	}
	if !strings.HasSuffix(match, `"`) {
		return false
	}
	if len(secret) == 64 && strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == "" {
		return false
	}
	return passwordOK("", secret) && !notLiteralSecret(secret, []byte(match))
}

// Connection strings: JDBC URLs with a password property, and ADO.NET or
// ODBC key=value strings with Password= or Pwd=.
const (
	jdbcLead = `jdbc:[a-z0-9]+(?::[a-z0-9]+)*:[^\s"'<>\x60]*?[?&;:]\s*`
	adoLead  = `(?:[\s"'=;,{(])(?:server|data source|datasource|host|hostname|address|addr|network address|dsn|driver|provider|initial catalog|database|uid|user id|userid|user|username)\s*=[^"'\n]*?;\s*`
	// redisLead starts a StackExchange.Redis configuration string:
	// host:port,option=value,...
	redisLead = `(?:[\s"'=]|^)[a-z0-9][a-z0-9.-]*:\d{2,5},(?:[a-z]+=[^,"'\s]*,)*`
	connPass  = `(?:password|pwd)\s*=\s*(?P<secret>[^&;,\s"'<>\x60]+)(?:[&;,][^"'<>\x60\n]*)?`
)

func connectionStringRules() []Rule {
	return []Rule{{
		ID: "jdbc-url-password", Title: "Password in a JDBC URL", Severity: pipeline.SeverityHigh,
		Keywords: []string{"jdbc:"},
		Pattern:  `(?i)` + jdbcLead + connPass,
		Verify: func(secret, match string) bool {
			host, embedded := jdbcHost(match)
			return !embedded && !isLoopback(host) && !isDocHost(host) && passwordOK("", secret)
		},
		Generic:     true,
		Remediation: "Change the database user's password and pass it to the driver from the environment or a secret store, not in the URL.",
		References:  []string{"https://jdbc.postgresql.org/documentation/use/#connection-parameters", "https://learn.microsoft.com/en-us/sql/connect/jdbc/building-the-connection-url", "https://dev.mysql.com/doc/connector-j/en/connector-j-reference-jdbc-url-format.html"},
	}, {
		ID: "connection-string-password", Title: "Password in an ADO.NET or ODBC connection string", Severity: pipeline.SeverityHigh,
		Keywords: []string{"password=", "pwd=", "password =", "pwd ="},
		Pattern:  `(?i)^[^\n]*?` + adoLead + connPass,
		Verify: func(secret, match string) bool {
			jdbc := strings.Contains(strings.ToLower(match), "jdbc:")
			return !jdbc && !adoLocal(match) && passwordOK("", secret) && !notLiteralSecret(secret, []byte(match))
		},
		Remediation: "Change the login's password and use integrated or managed identity authentication, or load the string from a secret store.",
		References:  []string{"https://learn.microsoft.com/en-us/dotnet/framework/data/adonet/connection-string-syntax", "https://learn.microsoft.com/en-us/sql/odbc/reference/syntax/sqldriverconnect-function"},
	}, {
		ID: "local-connection-string-password", Title: "Password in a connection string to a local or embedded database (development credential)", Severity: pipeline.SeverityLow,
		Keywords: []string{"password=", "pwd=", "password =", "pwd ="},
		Pattern:  `(?i)^[^\n]*?(?:` + jdbcLead + `|` + adoLead + `|` + redisLead + `)` + connPass,
		Verify: func(secret, match string) bool {
			local := adoLocal(match) || redisLocal(match)
			if i := strings.Index(strings.ToLower(match), "jdbc:"); i >= 0 {
				host, embedded := jdbcHost(match[i:])
				local = embedded || isLoopback(host)
			}
			return local && passwordOK("", secret) && !notLiteralSecret(secret, []byte(match))
		},
		Remediation: "Keep even development passwords out of the repository (use an uncommitted .env file) and never reuse them on shared hosts.",
		References:  []string{"https://learn.microsoft.com/en-us/dotnet/framework/data/adonet/connection-string-syntax", "https://jdbc.postgresql.org/documentation/use/#connection-parameters"},
	}, {
		ID: "redis-connection-string-password", Title: "Password in a Redis client configuration string (host:port,password=...)", Severity: pipeline.SeverityHigh,
		Keywords: []string{",password=", ",password =", ", password="},
		Pattern:  `(?i)` + redisLead + connPass,
		Verify: func(secret, match string) bool {
			return !redisLocal(match) && passwordOK("", secret)
		},
		Generic:     true,
		Remediation: "Regenerate the Redis access key or change requirepass, and load the configuration string from a secret store.",
		References:  []string{"https://stackexchange.github.io/StackExchange.Redis/Configuration.html", "https://learn.microsoft.com/en-us/azure/azure-cache-for-redis/cache-configure#access-keys"},
	}, {
		ID: "url-query-credential", Title: "Password or token in a URL query string or form body", Severity: pipeline.SeverityHigh,
		Keywords: []string{"password=", "passwd=", "pwd=", "token=", "api_key=", "apikey=", "api-key=", "secret="},
		Pattern: `(?i)(?:\bhttps?://[^\s"'<>\x60?#]+\?|\b(?:GET|POST|PUT|PATCH|DELETE|HEAD)\s+/[^\s"'<>\x60?#]*\?` +
			`|\b(?:body|data|form|payload|params)=|\s(?:-d|--data(?:-raw|-urlencode|-binary)?)\s+["']?)(?:[^\s"'<>\x60#]*&)?` +
			`(password|passwd|pwd|access_token|accesstoken|auth_token|api_key|apikey|api-key|client_secret|token)=` +
			`(?P<secret>[^&#\s"'<>\x60]+)`,
		Verify:      queryCredentialOK,
		Generic:     true,
		Remediation: "Revoke the token or change the password; send credentials in headers, not URLs, and redact request bodies in logs.",
		References:  []string{"https://datatracker.ietf.org/doc/html/rfc6750#section-2.3", "https://owasp.org/www-community/vulnerabilities/Information_exposure_through_query_strings_in_url"},
	}}
}

// jdbcHost returns the host of a JDBC URL and whether the URL names an
// embedded or in-memory database (no //host part).
func jdbcHost(match string) (host string, embedded bool) {
	i := strings.Index(match, "//")
	if i < 0 {
		return "", true
	}
	rest := match[i+2:]
	if j := strings.IndexAny(rest, "/;?,"); j >= 0 {
		rest = rest[:j]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	return hostName(rest), false
}

// adoLocal reports whether an ADO.NET or ODBC connection string names a
// local server or a database file.
func adoLocal(match string) bool {
	for _, kv := range strings.Split(match, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k[strings.LastIndexAny(k, "\"'{(,=")+1:]))
		switch k {
		case "server", "data source", "datasource", "host", "hostname", "address", "addr", "network address":
		default:
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		v = strings.TrimPrefix(strings.TrimPrefix(v, "tcp:"), "np:")
		for _, ext := range []string{".mdb", ".accdb", ".db", ".sqlite", ".sdf", ".mdf"} {
			if strings.HasSuffix(v, ext) {
				return !strings.HasPrefix(v, `\\`) // a database file, unless on a network share
			}
		}
		if strings.Contains(v, `:\`) || strings.HasPrefix(v, "/") {
			return true
		}
		v, _, _ = strings.Cut(v, `\`) // server\instance
		v, _, _ = strings.Cut(v, ",") // server,port
		return isLoopback(hostName(v))
	}
	return false
}

// redisLocal reports whether a StackExchange.Redis configuration string
// names a local server first.
func redisLocal(match string) bool {
	hp, _, _ := strings.Cut(match, ",")
	return isLoopback(hostName(hp[strings.LastIndexAny(hp, " \t\"'=")+1:]))
}

// queryCredentialOK checks a credential in a URL query: a password must
// look like one, a token must be long and random enough.
func queryCredentialOK(secret, match string) bool {
	eq := len(match) - len(secret) - 1
	param := strings.ToLower(match[strings.LastIndexAny(match[:eq], "?&= \"'")+1 : eq])
	if i := strings.Index(match, "://"); i >= 0 {
		host := hostName(strings.SplitN(match[i+3:], "/", 2)[0])
		if isLoopback(host) || isDocHost(host) {
			return false
		}
	}
	switch param {
	case "password", "passwd", "pwd":
		return passwordOK("", secret)
	}
	return tokenLike(secret)
}

// headerRules covers .netrc entries, curl's --user option and HTTP
// Authorization headers written into code, scripts and request samples.
func headerRules() []Rule {
	const authCtx = `(?i)(?:\bproxy-)?\bauth[a-z_-]*\W{1,6}`
	return []Rule{{
		ID: "netrc-password", Title: "Password in a .netrc entry", Severity: pipeline.SeverityHigh,
		Keywords:  []string{"machine"},
		Multiline: true, MaxLen: 512,
		Pattern: `(?:^|\s)machine\s+(?P<host>\S+)(?:\s+(?:login|account|port)\s+\S+)+\s+password\s+` +
			`(?P<secret>[^\s"']+)`,
		Verify: func(secret, match string) bool {
			f := strings.Fields(match)
			host := hostName(f[1])
			return !isDocHost(host) && passwordOK("", secret)
		},
		Generic:     true,
		Remediation: "Change the password or revoke the token on the named host, and keep .netrc in the home directory with mode 600, never in a repository.",
		References:  []string{"https://www.gnu.org/software/inetutils/manual/html_node/The-_002enetrc-file.html", "https://everything.curl.dev/usingcurl/netrc"},
	}, {
		ID: "curl-user-password", Title: "Password in a curl --user option", Severity: pipeline.SeverityHigh,
		Keywords: []string{"curl"},
		Pattern:  `(?i)\bcurl\b[^\n]*?\s(?:-u|--user|--proxy-user)(?:\s+|=)["']?(?P<user>[^\s:"']*):(?P<secret>[^\s"']+)`,
		Verify: func(secret, match string) bool {
			user := match[strings.LastIndexAny(match[:len(match)-len(secret)-1], " \t=\"'")+1 : len(match)-len(secret)-1]
			return passwordOK(user, secret)
		},
		Generic:     true,
		Remediation: "Change the password or revoke the token on the service and have curl read it from a .netrc file or the environment (--netrc, -u \"user:$TOKEN\").",
		References:  []string{"https://curl.se/docs/manpage.html#-u"},
	}, {
		ID: "http-basic-auth-header", Title: "HTTP Basic credentials in an Authorization header", Severity: pipeline.SeverityHigh,
		Keywords: []string{"basic ", `basic"`, "basic'"},
		Pattern:  authCtx + `basic(?:\s+|["']\s*,\s*["'])(?P<secret>[A-Za-z0-9+/]{8,}={0,2})(?:[^A-Za-z0-9+/=]|$)`,
		Verify:   basicCredOK, Generic: true,
		Remediation: "Change the password (or revoke the token) encoded in the header and build the header at run time from a secret store.",
		References:  []string{"https://datatracker.ietf.org/doc/html/rfc7617"},
	}, {
		ID: "http-bearer-token-header", Title: "Bearer token in an Authorization header", Severity: pipeline.SeverityHigh,
		Keywords: []string{"bearer ", `bearer"`, "bearer'"}, MinEntropy: 3.5,
		Pattern:     authCtx + `bearer(?:\s+|["']\s*,\s*["'])(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)(?:[^A-Za-z0-9._~+/=-]|$)`,
		Verify:      func(secret, _ string) bool { return tokenLike(secret) },
		Generic:     true,
		Remediation: "Revoke the token at its issuer and build the header at run time from a secret store.",
		References:  []string{"https://datatracker.ietf.org/doc/html/rfc6750#section-2.1"},
	}}
}
