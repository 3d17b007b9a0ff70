package io.fmstream.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LocalKafkaClusterSecurityTest {

    @Test
    void toStringNamesTheUsersButNoPassword() {
        LocalKafkaCluster.Security s =
                new LocalKafkaCluster.Security(
                        null,
                        Map.of("admin", "s3cret-admin", "job", "s3cret-job"),
                        "admin",
                        Set.of("labeller"));
        assertThat(s.toString()).contains("admin", "job", "labeller").doesNotContain("s3cret");
    }
}
