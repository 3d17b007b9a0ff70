package io.fmstream.job.functions;

import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;

/** The assembler's harness tests on the RocksDB state backend. */
class WindowAssemblerFunctionRocksDbTest extends WindowAssemblerFunctionTest {

    @Override
    StateBackend stateBackend() {
        return new EmbeddedRocksDBStateBackend();
    }
}
