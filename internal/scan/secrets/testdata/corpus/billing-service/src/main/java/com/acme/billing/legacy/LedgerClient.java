package com.acme.billing.legacy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

public class LedgerClient {
    private static final String URL =
        "jdbc:mysql://ledger-db.acme.internal:3306/ledger?user=ledger_rw&password=SJoWttOZQVcNakJSMVNWk24Pd8EG&useSSL=true";
    private static final String ORACLE_PASSWORD = "h@rb0r.Coffee82";
    private final String apiToken = System.getenv("LEDGER_API_TOKEN");
    private String password;

    public Connection open() throws SQLException {
        return DriverManager.getConnection(URL);
    }

    public Connection openReadOnly() throws SQLException {
        return DriverManager.getConnection(
            "jdbc:oracle:thin:@//ledger-ora.acme.internal:1521/LEDGER", "ledger_ro", ORACLE_PASSWORD);
    }

    public void setPassword(String password) {
        this.password = password;
    }
}
