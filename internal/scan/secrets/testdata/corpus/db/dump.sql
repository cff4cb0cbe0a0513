--
-- PostgreSQL database dump
--
SET statement_timeout = 0;
SET client_encoding = 'UTF8';

CREATE TABLE public.users (id uuid PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL, created_at timestamptz);

COPY public.users (id, email, password_hash, created_at) FROM stdin;
2a40cbe4-f14a-45d8-8815-f34612e42aed	alice@acme.io	$2b$12$OsGCqhBn0Ct6t/K8DaSQpQbXp.NtPkCUWkgCVrehQUGhYgemXp0BM	2024-01-12 10:11:12+00
6b0ed11a-e622-4ae0-9666-c7068ef34e87	bob@acme.io	$2b$12$nv3ENFH7cIFTy.qj6R2uz3ZV2TPQOhJ8qHnJVcV2Gh5lvjqv43/WC	2024-02-03 08:00:00+00
e7d52b47-5995-449e-8415-c42f1e728e76	carol@acme.io	$argon2id$v=19$m=65536,t=3,p=4$Hp6QxFb5x/cp3FrU8StVeQ$Akhxlbbbx8UykkYAPnQL9HsbCtAZX6T7RHH8cQPiDmE	2024-03-09 17:45:00+00
\.

CREATE TABLE public.integrations (id serial, provider text, credentials text);
INSERT INTO public.integrations VALUES (1, 'slack', 'xoxb-54215980167-6380114099859-iVIkjDe5bfj1v72VRHmOUJLP');
INSERT INTO public.integrations VALUES (2, 'github', 'ghs_N30DBkux7Ywni4rWPJCvAePaCZLMMg2pdhcy');
INSERT INTO public.integrations VALUES (3, 'sendgrid', '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');
INSERT INTO public.integrations VALUES (4, 'webhook', 'https://hooks.acme.io/in/e1187b30-6b83-408a-8866-fc917ad40232');
INSERT INTO public.integrations VALUES (5, 'email', 'provider=ses;region=eu-west-1');

ALTER ROLE reporting WITH LOGIN PASSWORD 'Atlas-Lighthouse*130';
ALTER ROLE app WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:E5jF0Up4V11o5AIDISHuZw==$9+TooMlawlpRU2OBL+xxeHbrMTF8cYbLoeGapSz6390=:z3j9T0U/NxOHQTMkJlDmOEuxVhh7dxf89vUr6r2mByE=';
CREATE TABLE public.password_resets (token_hash char(64), expires_at timestamptz);
INSERT INTO public.password_resets VALUES ('5770adf55da37c698c0b0a16722fa1e9e763a07c784e05a084f53e588fd0eb57', '2024-04-01 00:00:00+00');
