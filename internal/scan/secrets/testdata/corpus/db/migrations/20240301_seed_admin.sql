-- Seed the first administrator. The demo password is reset on every deploy.
INSERT INTO admins (email, password) VALUES ('root@acme.io', crypt('p3pp3r.Raptor98', gen_salt('bf')));
INSERT INTO api_clients (name, client_id, client_secret) VALUES ('mobile', '031edfef-c77e-4f5e-a47b-8d02acc289bb', 'kXnBO7JOfGGyIcjcKbpsdKoppgxhvKxkSB29WWr32bK42ba3');
UPDATE settings SET value = 'true' WHERE key = 'password_reset_enabled';
