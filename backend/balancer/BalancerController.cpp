#include "balancer/BalancerController.h"

#include "cluster/ClusterState.h"
#include "core/LogCategories.h"

#include <QTimer>

namespace {
constexpr int MinRetryMs = 1000;
constexpr int MaxRetryMs = 30000;

QString methodName(BalancerDriver::Change change)
{
    return change == BalancerDriver::Change::Reload ? QStringLiteral("reload")
                                                    : QStringLiteral("runtime");
}
} // namespace

BalancerController::BalancerController(ClusterState *state, BalancerDriver *driver,
                                       BalancerPlanner planner, Options options, QObject *parent)
    : QObject(parent), m_state(state), m_driver(driver), m_planner(std::move(planner)),
      m_options(options), m_applyTimer(new QTimer(this)), m_verifyTimer(new QTimer(this)),
      m_persistTimer(new QTimer(this)),
      m_applySeconds({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
{
    m_applyTimer->setSingleShot(true);
    connect(m_applyTimer, &QTimer::timeout, this, &BalancerController::applyNow);
    m_verifyTimer->setInterval(m_options.verifyMs);
    connect(m_verifyTimer, &QTimer::timeout, this, &BalancerController::verifyNow);
    m_persistTimer->setSingleShot(true);
    connect(m_persistTimer, &QTimer::timeout, this, &BalancerController::persistNow);
}

BalancerController::~BalancerController() = default;

void BalancerController::start()
{
    auto changed = [this] { pictureChanged(); };
    connect(m_state, &ClusterState::serviceAdded, this, changed);
    connect(m_state, &ClusterState::serviceChanged, this, changed);
    connect(m_state, &ClusterState::serviceRemoved, this, changed);
    connect(m_state, &ClusterState::snapshotReset, this, [this] {
        m_listed = true;
        pictureChanged();
    });
    m_verifyTimer->start();
}

void BalancerController::pictureChanged()
{
    if (!m_listed)
        return; // never plan from a picture etcd has not given us in full
    if (!m_dirtySince.isValid())
        m_dirtySince.start();
    if (m_retryMs == 0)
        schedule();
}

void BalancerController::schedule()
{
    const BalancerPlan plan = m_planner.plan(m_state->services());
    const BalancerDriver::Change change =
        m_forced && m_driver->classify(plan) == BalancerDriver::Change::None
            ? BalancerDriver::Change::Runtime
            : m_driver->classify(plan);
    if (change == BalancerDriver::Change::None) {
        m_dirtySince.invalidate();
        m_applyTimer->stop();
        return;
    }
    const bool reload = change == BalancerDriver::Change::Reload;
    qint64 delay = reload ? m_options.reloadQuietMs : m_options.quietMs;
    delay = qMin(delay, qMax<qint64>(0, m_options.maxDelayMs - m_dirtySince.elapsed()));
    // Two reloads are kept apart, except when a server must go: a stopping container serves
    // only for its grace period.
    if (reload && m_lastReload.isValid() && !(m_hasApplied && plan.drains(m_applied)))
        delay = qMax(delay, m_options.reloadIntervalMs - m_lastReload.elapsed());
    m_applyTimer->start(int(qMax<qint64>(0, delay)));
}

void BalancerController::applyNow()
{
    const BalancerPlan plan = m_planner.plan(m_state->services());
    QElapsedTimer took;
    took.start();
    const BalancerDriver::Result result = m_driver->apply(plan);
    m_applySeconds.observe(took.nsecsElapsed() / 1e9);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (result.reloaded || result.method == BalancerDriver::Change::Reload)
        m_lastReload.start();
    if (result.ok) {
        if (result.method != BalancerDriver::Change::None) {
            (result.method == BalancerDriver::Change::Reload ? m_stats.reloadApplies
                                                             : m_stats.runtimeApplies)++;
            m_stats.lastMethod = methodName(result.method);
            m_stats.lastApplyAt = now;
        }
        if (!m_stats.lastError.isEmpty())
            qCInfo(lcBalancer, "%s holds the plan again (%d backends)",
                   qPrintable(m_driver->kind()), int(plan.backends.size()));
        m_stats.lastError.clear();
        m_loggedError.clear();
        m_applied = plan;
        m_hasApplied = true;
        m_retryMs = 0;
        m_forced = false;
        m_dirtySince.invalidate();
        if (m_driver->hasUnpersisted())
            m_persistTimer->start(qMax(200, m_options.reloadQuietMs)); // restarted by each apply
        Q_EMIT appliedChanged();
        // Changes that came in while applying are picked up here.
        if (m_driver->classify(m_planner.plan(m_state->services())) != BalancerDriver::Change::None)
            pictureChanged();
        return;
    }
    ++m_stats.failures;
    if (result.configRefused)
        ++m_stats.configRefusals;
    m_stats.lastError = result.error;
    m_stats.lastErrorAt = now;
    m_retryMs = m_retryMs == 0 ? MinRetryMs : qMin(MaxRetryMs, m_retryMs * 2);
    if (result.error != m_loggedError) {
        qCWarning(lcBalancer,
                  "%s (retrying every %d s at most; the balancer keeps its last "
                  "good state)",
                  qPrintable(result.error), MaxRetryMs / 1000);
        m_loggedError = result.error;
    }
    Q_EMIT appliedChanged();
    m_applyTimer->start(m_retryMs);
}

void BalancerController::persistNow()
{
    if (m_applyTimer->isActive()) {
        m_persistTimer->start(qMax(200, m_options.reloadQuietMs)); // after the pending apply
        return;
    }
    const BalancerDriver::Result result = m_driver->persist();
    if (result.ok) {
        if (!m_loggedError.isEmpty() && m_stats.lastError == m_loggedError) {
            m_stats.lastError.clear();
            m_loggedError.clear();
            Q_EMIT appliedChanged();
        }
        return;
    }
    ++m_stats.failures;
    if (result.configRefused)
        ++m_stats.configRefusals;
    m_stats.lastError = result.error;
    m_stats.lastErrorAt = QDateTime::currentDateTimeUtc();
    if (result.error != m_loggedError) {
        qCWarning(lcBalancer, "%s (the balancer runs the new servers; retrying the file)",
                  qPrintable(result.error));
        m_loggedError = result.error;
    }
    Q_EMIT appliedChanged();
    m_persistTimer->start(qMin(MaxRetryMs, qMax(MinRetryMs, m_persistTimer->interval() * 2)));
}

void BalancerController::verifyNow()
{
    if (!m_hasApplied || m_applyTimer->isActive())
        return;
    QString error;
    if (m_driver->verify(&error))
        return;
    ++m_stats.verifyFailures;
    qCWarning(lcBalancer, "%s; applying the plan again", qPrintable(error));
    m_forced = true;
    if (!m_dirtySince.isValid())
        m_dirtySince.start();
    m_retryMs = 0;
    schedule();
}
