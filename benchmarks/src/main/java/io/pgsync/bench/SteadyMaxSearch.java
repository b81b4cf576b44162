package io.pgsync.bench;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs W4's steps on a pipeline in sync: the steady load at each rate in turn while the lag probe measures, until a
 * step fails or the next would pass {@code --w4-max-tps}. Each step starts only once the previous one's last probe
 * write has arrived at the destination, so that no backlog carries over from one step to the next.
 */
final class SteadyMaxSearch {

    private static final Logger log = LoggerFactory.getLogger(SteadyMaxSearch.class);

    private final ChangeLoad load;
    private final ProbeRow probe;
    private final ChangeCounter counter;
    private final CpuSampler sampler;
    private final BenchmarkOptions.Stepping stepping;
    private final Duration timeout;
    private final String label;

    /**
     * @param timeout how long the wait for a step's last probe write may take
     * @param label the run's label for the log, e.g. "[pgsync run 1e]"
     */
    SteadyMaxSearch(ChangeLoad load, ProbeRow probe, ChangeCounter counter, CpuSampler sampler,
            BenchmarkOptions.Stepping stepping, Duration timeout, String label) {
        this.load = load;
        this.probe = probe;
        this.counter = counter;
        this.sampler = sampler;
        this.stepping = stepping;
        this.timeout = timeout;
        this.label = label;
    }

    SteadyMax run() throws SQLException, InterruptedException {
        List<RateStep> steps = new ArrayList<>();
        for (long tps = stepping.startTps(); tps <= stepping.maxTps(); tps += stepping.stepTps()) {
            RateStep step = step((int) tps);
            steps.add(step);
            log.info("{} W4 step {}", label, step.describe());
            if (!step.passed()) {
                break;
            }
        }
        return new SteadyMax(steps, stepping.maxTps());
    }

    /** One step; returns once its last probe write has arrived, or the wait for it timed out. */
    private RateStep step(int tps) throws SQLException, InterruptedException {
        long before = counter.settled();
        LagProbe lagProbe = new LagProbe(probe);
        CpuSampler.Snapshot cpuStart = sampler.snapshot();
        lagProbe.start();
        ChangeLoad.Result generated = load.startSteady(tps, stepping.stepSeconds()).await();
        CpuUsage cpu = sampler.since(cpuStart);
        LagSeries lags = lagProbe.finish(timeout);
        long changes = counter.settled() - before - lags.samples();
        return new RateStep(tps, generated.tps(), generated.seconds(), changes, lags.stats(), lags.growth(), cpu);
    }
}
