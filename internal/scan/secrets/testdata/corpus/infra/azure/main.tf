provider "azurerm" {
  features {}
  subscription_id = "e9c9d835-89a8-470f-ac59-4d17a783a06a"
  tenant_id       = "c2f80f97-01b5-4eba-9c59-acde641553b7"
  client_id       = "11475d0b-7b53-40c0-a69f-8dc525e4c82d"
  client_secret   = "hPE8Q~rLWyJQZERTeMTwsGZ3fsdW0Wo0SozGJon_"
}

resource "azurerm_mssql_server" "main" {
  name                         = "acme-sql-prod"
  resource_group_name          = "rg-data-prod"
  location                     = "westeurope"
  version                      = "12.0"
  administrator_login          = "sqladmin"
  administrator_login_password = "Mu5t@ngf@lc0n32"
}

resource "azurerm_key_vault_secret" "storage" {
  name         = "storage-connection"
  value        = azurerm_storage_account.main.primary_connection_string
  key_vault_id = azurerm_key_vault.main.id
}
