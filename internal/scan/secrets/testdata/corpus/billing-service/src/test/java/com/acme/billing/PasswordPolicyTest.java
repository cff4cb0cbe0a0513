package com.acme.billing;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class PasswordPolicyTest {
    private final PasswordPolicy policy = new PasswordPolicy(12);

    @Test
    void rejectsShortPassword() {
        assertFalse(policy.isValid("Sh0rt!"));
    }

    @Test
    void rejectsCommonPassword() {
        assertFalse(policy.isValid("password123"));
    }

    @Test
    void rejectsPasswordWithoutDigit() {
        assertFalse(policy.isValid("abcdefghijklmnop"));
    }

    @Test
    void explainsMissingDigit() {
        assertEquals("password must contain a digit", policy.explain("abcdefghijkl"));
    }
}
