package io.fmstream.job.io;

import io.fmstream.core.model.BundleFiles;
import java.io.IOException;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Reads a model bundle through Flink's FileSystem abstraction, so the same job reads it from a
 * local path, S3, HDFS or any other file system the cluster has a plugin for.
 */
public final class FlinkBundleFiles implements BundleFiles {

    private final Path root;

    public FlinkBundleFiles(String uri) {
        this.root = new Path(uri);
    }

    @Override
    public byte[] read(String relativePath) throws IOException {
        Path file = new Path(root, relativePath);
        FileSystem fs = file.getFileSystem();
        try (FSDataInputStream in = fs.open(file)) {
            return in.readAllBytes();
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }
}
