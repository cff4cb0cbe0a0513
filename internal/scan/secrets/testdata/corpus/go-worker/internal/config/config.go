package config

// Config holds the worker settings.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL"`
	Password    string `json:"password" yaml:"password"`
	APIToken    string `env:"API_TOKEN,required"`
}

// Staging is used by the integration environment.
var Staging = Config{
	DatabaseURL: "jobs:tpPlRviG1ZLVSafs8aS46c@tcp(mysql.staging.acme.internal:3306)/jobs?parseTime=true",
}

// Migrations connects the schema migrator.
var Migrations = Config{
	DatabaseURL: "host=pg.acme.internal user=migrate password=yT*zoDFjJ!D9HC-.W?XagfG dbname=app sslmode=require",
}
