package io.fmstream.job.io;

import io.fmstream.core.model.BundleManifest;
import io.fmstream.schemas.EncoderId;
import java.io.Serializable;

/** The encoder's identity as written on every output record, taken from the bundle manifest. */
public final class EncoderIdentity implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String name;
    public final String version;
    public final String sha256;
    public final String preprocessingId;

    public EncoderIdentity(String name, String version, String sha256, String preprocessingId) {
        this.name = name;
        this.version = version;
        this.sha256 = sha256;
        this.preprocessingId = preprocessingId;
    }

    public static EncoderIdentity of(BundleManifest manifest) {
        return new EncoderIdentity(
                manifest.encoder().name(),
                manifest.encoder().version(),
                manifest.encoder().sha256(),
                manifest.preprocessingId());
    }

    EncoderId toAvro() {
        return EncoderId.newBuilder().setName(name).setVersion(version).setSha256(sha256).build();
    }
}
