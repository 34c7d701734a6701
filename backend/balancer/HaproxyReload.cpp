// HaproxyDriver's reload path: a backend added or removed, or a mode changed.
#include "balancer/HaproxyDriver.h"

#include <QDeadlineTimer>
#include <QThread>

namespace {
void addError(QString *to, const QString &error)
{
    if (!error.isEmpty())
        *to = to->isEmpty() ? error : *to + QStringLiteral("; and ") + error;
}
} // namespace

void HaproxyDriver::applyReload(const HaproxyState &desired, Result *r)
{
    r->method = Change::Reload;
    QString error;
    const QString procText = m_master.exchange(QStringLiteral("show proc"), &error);
    const HaproxyProcesses before = HaproxyLive::parseShowProc(procText);
    if (!error.isEmpty() || !before.valid) {
        r->error = error.isEmpty()
                       ? QStringLiteral("haproxy master CLI %1 did not answer `show proc` as a "
                                        "master does; give the socket of `-S`, not a stats "
                                        "socket")
                             .arg(m_options.masterSocket)
                       : error;
        return;
    }
    const QString oldText = m_file.text();
    const bool oldExisted = m_file.exists();
    error = m_file.stage(HaproxyConfig::render(desired), &r->configRefused);
    if (error.isEmpty())
        error = m_file.commit();
    if (!error.isEmpty()) {
        r->error = error;
        return;
    }
    m_master.exchange(QStringLiteral("reload"), &error); // 2.6 answers nothing, even on failure
    HaproxyProcesses after;
    if (error.isEmpty())
        waitForReload(before, &after, &error);
    if (!error.isEmpty()) {
        // The old worker keeps serving; put the previous file back so the next reload (ours
        // or the operator's) loads what it runs.
        addError(&error, m_file.restore(oldText, oldExisted));
        r->error = error;
        m_synced = false;
        return;
    }
    r->reloaded = true;
    m_applied = desired;
    m_filePending = false; // the file holds the whole plan now
    m_draining.clear();    // the new worker started without them; the old one finishes their work
    // The new worker takes over the stats socket shortly after it starts: wait until it
    // answers with the new backends.
    QDeadlineTimer deadline(m_options.reloadTimeoutMs);
    HaproxyState live;
    QMap<QString, QSet<QString>> draining;
    do {
        live = {};
        draining.clear();
        error.clear();
        if (readLive(&live, &draining, &error) && live == desired)
            break;
        QThread::msleep(20);
    } while (!deadline.hasExpired());
    if (live != desired) {
        r->error = error.isEmpty()
                       ? QStringLiteral("haproxy reloaded but its new worker does not hold the "
                                        "backends of %1 after %2 s; check haproxy's log")
                             .arg(m_options.configPath)
                             .arg(m_options.reloadTimeoutMs / 1000)
                       : error;
        m_synced = false;
        return;
    }
    m_synced = true;
}

bool HaproxyDriver::waitForReload(const HaproxyProcesses &before, HaproxyProcesses *after,
                                  QString *error) const
{
    // The master re-executes itself: its CLI is gone for a moment, then `show proc` counts the
    // reload and names the new worker (or, on failure, counts a failed reload and keeps the
    // old worker).
    QDeadlineTimer deadline(m_options.reloadTimeoutMs);
    QString lastError;
    while (!deadline.hasExpired()) {
        QString e;
        const QString text = m_master.exchange(QStringLiteral("show proc"), &e);
        *after = HaproxyLive::parseShowProc(text);
        if (e.isEmpty() && after->valid && after->reloads > before.reloads) {
            if (after->failedReloads > 0 || after->workerPid == before.workerPid ||
                after->workerPid == 0) {
                *error = QStringLiteral("haproxy refused to reload (`show proc` counts a failed "
                                        "reload, the old worker keeps serving); the previous "
                                        "%1 is put back: run `haproxy -c -f %2 -f %1` and "
                                        "check haproxy's log")
                             .arg(m_options.configPath, m_options.mainConfigPath);
                return false;
            }
            return true;
        }
        lastError = e;
        QThread::msleep(20);
    }
    *error = QStringLiteral("haproxy did not finish the reload within %1 s (%2); the previous "
                            "%3 is put back: check haproxy's log")
                 .arg(m_options.reloadTimeoutMs / 1000)
                 .arg(lastError.isEmpty() ? QStringLiteral("`show proc` shows no new reload")
                                          : lastError,
                      m_options.configPath);
    return false;
}
