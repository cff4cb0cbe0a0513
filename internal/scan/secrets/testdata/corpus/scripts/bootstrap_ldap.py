import ldap3

LDAP_URL = "ldap://readonly:FbMOqTDkvVGNsUHNrjm0F-z1@ldap.acme.internal:389/dc=acme,dc=internal"
ADMIN_PASSWORD = "Cobalt2020."

server = ldap3.Server("ldaps://ldap.acme.internal:636")
conn = ldap3.Connection(server, "cn=admin,dc=acme,dc=internal", ADMIN_PASSWORD, auto_bind=True)
conn.search("dc=acme,dc=internal", "(objectClass=person)", attributes=["uid", "mail"])
for entry in conn.entries:
    print(entry.uid, entry.mail)
