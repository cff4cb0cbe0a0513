package com.acme.billing.config;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.JavaMailSenderImpl;

@Configuration
public class MailConfig {

    private static final String SMTP_HOST = "smtp.sendgrid.net";
    private static final String SMTP_USER = "apikey";
    private static final String SMTP_PASS = "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";

    @Value("${billing.mail.from}")
    private String from;

    @Bean
    public JavaMailSender mailSender() {
        JavaMailSenderImpl sender = new JavaMailSenderImpl();
        sender.setHost(SMTP_HOST);
        sender.setPort(587);
        sender.setUsername(SMTP_USER);
        sender.setPassword(SMTP_PASS);
        return sender;
    }
}
