package io.pgsync.common.pg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JdbcUrlsTest {

    @Test
    void passwordsOfEveryKindAreMaskedAndTheRestIsShown() {
        assertThat(JdbcUrls.forDisplay("jdbc:postgresql://db:5432/shop?sslmode=verify-full&sslpassword=s3cret"
                + "&password=p%40ss&sslkey=/etc/k.pk8&PASSWORD=x&sslfactoryarg=arg"))
                .isEqualTo("jdbc:postgresql://db:5432/shop?sslmode=verify-full&sslpassword=***&password=***"
                        + "&sslkey=/etc/k.pk8&PASSWORD=***&sslfactoryarg=***");
        assertThat(JdbcUrls.forDisplay("jdbc:postgresql://user:secret@db/shop")).isEqualTo(
                "jdbc:postgresql://***@db/shop");
        assertThat(JdbcUrls.forDisplay("jdbc:postgresql://db/shop")).isEqualTo("jdbc:postgresql://db/shop");
    }
}
