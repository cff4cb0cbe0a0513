provider "google" {
  project     = "acme-analytics-prod"
  region      = "europe-west1"
  credentials = file("sa-terraform.json")
}

resource "google_sql_user" "app" {
  name     = "app"
  instance = google_sql_database_instance.main.name
  password = "ElL3eZOM-R0ODa@V4"
}

resource "google_secret_manager_secret_version" "maps" {
  secret      = google_secret_manager_secret.maps.id
  secret_data = "AIza-FFdnh0QDn7veXmZJ83PCGpiRwzhT7osgQX"
}

resource "google_sql_user" "readonly" {
  name     = "readonly"
  instance = google_sql_database_instance.main.name
  password = random_password.readonly.result
}
