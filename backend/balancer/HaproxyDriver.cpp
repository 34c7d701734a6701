#include "balancer/HaproxyDriver.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>

HaproxyDriver::HaproxyDriver(const Options &options)
    : m_options(options),
      m_runtime(HaproxySocket::Kind::Runtime, options.runtimeSocket, options.socketTimeoutMs),
      m_master(HaproxySocket::Kind::Master, options.masterSocket, options.socketTimeoutMs),
      m_file(options.configPath, options.mainConfigPath, options.haproxyBinary,
             options.checkTimeoutMs)
{
}

QString HaproxyDriver::prepare()
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(m_options.haproxyBinary, {QStringLiteral("-v")});
    if (!p.waitForStarted(m_options.checkTimeoutMs) ||
        !p.waitForFinished(m_options.checkTimeoutMs) || p.exitCode() != 0) {
        p.kill();
        return QStringLiteral("cannot run `%1 -v` (%2); install haproxy (Debian package "
                              "haproxy) or give the path to its binary")
            .arg(m_options.haproxyBinary, p.errorString());
    }
    static const QRegularExpression versionRe(QStringLiteral("version (\\d+\\.\\d+(\\.\\d+)?)"));
    const QRegularExpressionMatch m = versionRe.match(QString::fromUtf8(p.readAll()));
    m_version = m.hasMatch() ? m.captured(1) : QString();

    const QFileInfo main(m_options.mainConfigPath);
    if (!main.isFile() || !main.isReadable())
        return QStringLiteral("haproxy's main config %1 is not a readable file; give the path "
                              "of the config haproxy is started with")
            .arg(m_options.mainConfigPath);
    const QFileInfo dir(QFileInfo(m_options.configPath).absolutePath());
    if (!dir.isDir() || !dir.isWritable())
        return QStringLiteral("the directory of %1 does not exist or is not writable; create "
                              "it or give portolan-lb write access")
            .arg(m_options.configPath);
    if (QString error = m_file.load(); !error.isEmpty())
        return error;
    // The file is the best guess of what HAProxy runs until the first apply or verify reads it.
    QString ignored;
    m_applied = HaproxyConfig::parse(m_file.text(), &ignored);
    m_synced = false;
    return {};
}

BalancerDriver::Change HaproxyDriver::classify(const BalancerPlan &plan) const
{
    QString error;
    const HaproxyState desired = HaproxyConfig::fromPlan(plan, &error);
    if (!error.isEmpty() || !desired.sameStructure(m_applied))
        return Change::Reload;
    if (!m_synced || desired != m_applied ||
        (!m_filePending && HaproxyConfig::render(m_applied) != m_file.text()) || !m_file.exists())
        return Change::Runtime;
    return Change::None;
}

BalancerDriver::Result HaproxyDriver::apply(const BalancerPlan &plan)
{
    Result r;
    const HaproxyState desired = HaproxyConfig::fromPlan(plan, &r.error);
    if (!r.error.isEmpty())
        return r;
    if (!m_synced) {
        HaproxyState live;
        QMap<QString, QSet<QString>> draining;
        QString error;
        if (!readLive(&live, &draining, &error)) {
            // HAProxy is not reachable: leave a checked file for it to start with.
            r.method = desired.sameStructure(m_applied) ? Change::Runtime : Change::Reload;
            m_applied = desired;
            writeFile(&r);
            m_filePending = m_filePending && !r.error.isEmpty();
            r.error = r.error.isEmpty()
                          ? error + QStringLiteral(" (%1 is written for haproxy's next start)")
                                        .arg(m_options.configPath)
                          : error + QStringLiteral("; and ") + r.error;
            return r;
        }
        m_applied = live;
        m_draining = draining;
        m_synced = true;
    }
    if (desired.sameStructure(m_applied))
        applyRuntime(desired, &r);
    else
        applyReload(desired, &r);
    r.ok = r.error.isEmpty();
    return r;
}

QString HaproxyDriver::runtime(const QString &command, QString *error) const
{
    return m_runtime.exchange(command, error);
}

void HaproxyDriver::applyRuntime(const HaproxyState &desired, Result *r)
{
    r->method = desired == m_applied ? Change::None : Change::Runtime;
    QString error;
    for (auto be = desired.backends.cbegin(); be != desired.backends.cend() && error.isEmpty();
         ++be) {
        HaproxyBackendState &held = m_applied.backends[be.key()];
        QSet<QString> &draining = m_draining[be.key()];
        // New servers first, so a replaced instance never leaves the backend empty.
        for (auto s = be.value().servers.cbegin(); s != be.value().servers.cend(); ++s) {
            if (held.servers.contains(s.key()))
                continue;
            const QString id = be.key() + QLatin1Char('/') + s.key();
            if (!draining.contains(s.key())) {
                const QString out =
                    runtime(QStringLiteral("add server %1 %2").arg(id, s.value()), &error);
                if (!error.isEmpty())
                    break;
                if (!out.startsWith(QLatin1String("New server registered")) &&
                    !out.startsWith(QLatin1String("Already exists"))) {
                    error = QStringLiteral("haproxy refused `add server %1 %2`: %3; check "
                                           "that the backend uses a dynamic balance algorithm")
                                .arg(id, s.value(), out.trimmed());
                    break;
                }
            }
            const QString out =
                runtime(QStringLiteral("set server %1 state ready").arg(id), &error);
            if (!error.isEmpty())
                break;
            if (!out.trimmed().isEmpty()) {
                error = QStringLiteral("haproxy refused `set server %1 state ready`: %2")
                            .arg(id, out.trimmed());
                break;
            }
            draining.remove(s.key());
            held.servers.insert(s.key(), s.value());
        }
        // Then the leaving ones: maintenance stops new requests at once; `del server` follows
        // once their connections are gone.
        const QStringList held_names = held.servers.keys();
        for (const QString &name : held_names) {
            if (!error.isEmpty() || be.value().servers.contains(name))
                continue;
            const QString id = be.key() + QLatin1Char('/') + name;
            const QString out =
                runtime(QStringLiteral("set server %1 state maint").arg(id), &error);
            if (!error.isEmpty())
                break;
            held.servers.remove(name);
            if (!out.startsWith(QLatin1String("No such server")))
                draining.insert(name);
        }
        if (draining.isEmpty())
            m_draining.remove(be.key());
    }
    if (!error.isEmpty()) {
        r->error = error;
        m_synced = false; // read HAProxy again before the next change
        return;
    }
    deleteDrained();
    // The file follows in persist(), once changes are quiet: its check must not delay the next
    // server's readiness. A first apply (no file yet) writes it at once.
    if (m_file.exists() && r->method == Change::Runtime)
        m_filePending = true;
    else if (!m_filePending)
        writeFile(r);
}

BalancerDriver::Result HaproxyDriver::persist()
{
    Result r;
    r.method = Change::None;
    if (m_filePending)
        writeFile(&r);
    r.ok = r.error.isEmpty();
    if (r.ok)
        m_filePending = false;
    return r;
}

void HaproxyDriver::deleteDrained()
{
    for (auto be = m_draining.begin(); be != m_draining.end();) {
        for (auto it = be.value().begin(); it != be.value().end();) {
            QString error;
            const QString out =
                runtime(QStringLiteral("del server %1/%2").arg(be.key(), *it), &error);
            // Refused while connections are attached: it takes no new ones, try again later.
            if (error.isEmpty() && (out.startsWith(QLatin1String("Server deleted")) ||
                                    out.startsWith(QLatin1String("No such"))))
                it = be.value().erase(it);
            else
                ++it;
        }
        be = be.value().isEmpty() ? m_draining.erase(be) : std::next(be);
    }
}

void HaproxyDriver::writeFile(Result *r)
{
    const QString text = HaproxyConfig::render(m_applied);
    if (text == m_file.text() && m_file.exists() && !m_file.changedOnDisk())
        return;
    QString error = m_file.stage(text, &r->configRefused);
    if (error.isEmpty())
        error = m_file.commit();
    if (!error.isEmpty())
        r->error = r->error.isEmpty() ? error : r->error + QStringLiteral("; and ") + error;
}

bool HaproxyDriver::readLive(HaproxyState *live, QMap<QString, QSet<QString>> *draining,
                             QString *error) const
{
    const QString stat = runtime(QStringLiteral("show stat -1 2 -1"), error);
    if (!error->isEmpty())
        return false;
    if (!stat.startsWith(QLatin1String("# pxname"))) {
        *error = QStringLiteral("haproxy runtime socket %1 answered `show stat` with \"%2\"; "
                                "is it haproxy's stats socket?")
                     .arg(m_options.runtimeSocket, stat.left(80).trimmed());
        return false;
    }
    *live = HaproxyLive::parseBackends(stat);
    const QString servers = runtime(QStringLiteral("show servers state"), error);
    if (!error->isEmpty())
        return false;
    HaproxyLive::addServers(live, draining, servers);
    return true;
}

bool HaproxyDriver::verify(QString *error)
{
    error->clear();
    HaproxyState live;
    QMap<QString, QSet<QString>> draining;
    if (!readLive(&live, &draining, error)) {
        m_synced = false;
        return false;
    }
    // Servers in maintenance that the driver removed are deleted once their connections end.
    for (auto be = draining.cbegin(); be != draining.cend(); ++be)
        for (const QString &name : be.value())
            if (!m_applied.backends.value(be.key()).servers.contains(name))
                m_draining[be.key()].insert(name);
    for (auto be = m_draining.begin(); be != m_draining.end(); ++be)
        be.value().intersect(draining.value(be.key()));
    deleteDrained();
    if (live != m_applied) {
        QString what = QStringLiteral("%1 backends live, %2 applied")
                           .arg(live.backends.size())
                           .arg(m_applied.backends.size());
        for (auto be = m_applied.backends.cbegin(); be != m_applied.backends.cend(); ++be)
            if (live.backends.contains(be.key()) && live.backends.value(be.key()) != be.value()) {
                what = QStringLiteral("%1 has %2 ready servers, %3 applied")
                           .arg(be.key())
                           .arg(live.backends.value(be.key()).servers.size())
                           .arg(be.value().servers.size());
                break;
            }
        *error = QStringLiteral("haproxy no longer holds the backends portolan-lb applied (%1): "
                                "it was restarted, reloaded with another file or changed by "
                                "hand; applying the plan again")
                     .arg(what);
        m_synced = false;
        return false;
    }
    if (m_file.changedOnDisk()) {
        *error = QStringLiteral("%1 was changed by someone else; portolan-lb writes it again "
                                "(edit haproxy.cfg instead)")
                     .arg(m_options.configPath);
        m_synced = false;
        return false;
    }
    m_synced = true;
    return true;
}
