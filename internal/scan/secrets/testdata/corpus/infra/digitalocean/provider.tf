terraform {
  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.34"
    }
  }
}

provider "digitalocean" {
  token = "dop_v1_11943794e8249b1f891a45d218bafcbbaa49132982769100a24a6514cbb7928a"
}

provider "alicloud" {
  access_key = "LTAI5tZI0mbxuQWxr366L4BL"
  secret_key = "f6vifHh4Vohl3LwiZE9IxCfPy7qcCT"
  region     = "eu-central-1"
}
