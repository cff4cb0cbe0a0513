terraform {
  required_version = ">= 1.6"
  backend "s3" {
    bucket = "acme-terraform-state"
    key    = "prod/network.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIAVU22X65EKRXNPHNY"
  secret_key = "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"
}

resource "aws_db_instance" "main" {
  identifier        = "acme-prod"
  engine            = "postgres"
  instance_class    = "db.t3.medium"
  username          = "acme_admin"
  password          = var.db_password
  allocated_storage = 100
}

resource "random_password" "redis" {
  length  = 32
  special = true
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "acme-cache"
  description                = "session cache"
  auth_token                 = random_password.redis.result
  transit_encryption_enabled = true
}

data "aws_secretsmanager_secret_version" "grafana" {
  secret_id = "prod/grafana/admin-password"
}

resource "aws_ssm_parameter" "datadog" {
  name  = "/prod/datadog/api_key"
  type  = "SecureString"
  value = "31b5250f067b74c68bd1ee27518e4bd6"
}

variable "db_password" {
  description = "Master password for the RDS instance; pass it with TF_VAR_db_password."
  type        = string
  sensitive   = true
}

variable "github_token" {
  description = "Token used by the GitHub provider."
  type        = string
  sensitive   = true
  default     = ""
}

variable "api_key" {
  type    = string
  default = "REPLACE_ME"
}
