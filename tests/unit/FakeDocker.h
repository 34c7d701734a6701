#pragma once

// FakeDocker: a ContainerSource that answers from recorded inspect JSON (tests/data/docker), for
// the agent's unit tests. It can hold inspects back (to deliver events mid-sync), refuse the list
// (a filtering proxy's 403) and counts what it was asked. Header-only.

#include "docker/ContainerSource.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>

class FakeDocker : public ContainerSource {
public:
    QHash<QString, QJsonObject> containers; // inspect answers by full id
    QStringList running;                    // what the list answers
    QString listError;                      // set: the list is refused with this sentence
    bool holdInspects = false;              // inspects wait for releaseInspects()
    int lists = 0;
    int inspects = 0; // asked for
    int answered = 0; // inspects answered
    int inFlight = 0;
    int maxInFlight = 0;
    int pings = 0;
    bool eventsOpen = false;

    static QJsonObject fixture(const QString &name)
    {
        QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/inspect/%1.json").arg(name));
        if (!f.open(QIODevice::ReadOnly))
            qFatal("missing fixture %s", qPrintable(name));
        return QJsonDocument::fromJson(f.readAll()).object();
    }
    // Adds a recorded container; returns its id.
    QString add(const QString &fixtureName, bool listed = true)
    {
        const QJsonObject inspect = fixture(fixtureName);
        const QString id = inspect.value(QLatin1String("Id")).toString();
        containers.insert(id, inspect);
        if (listed)
            running << id;
        return id;
    }
    // The container stopped with this exit code (what inspect says after "die").
    void exited(const QString &id, int exitCode)
    {
        QJsonObject inspect = containers.value(id);
        QJsonObject state = inspect.value(QLatin1String("State")).toObject();
        state.insert(QLatin1String("Running"), false);
        state.insert(QLatin1String("ExitCode"), exitCode);
        inspect.insert(QLatin1String("State"), state);
        containers.insert(id, inspect);
        running.removeAll(id);
    }
    // One event line as dockerd sends it (a `die` from dockerd carries exitCode in attributes).
    void sendEvent(const QString &action, const QString &id, const QJsonObject &attributes = {})
    {
        const QJsonObject actor{{QStringLiteral("ID"), id},
                                {QStringLiteral("Attributes"), attributes}};
        const QJsonObject line{{QStringLiteral("Type"), QStringLiteral("container")},
                               {QStringLiteral("Action"), action},
                               {QStringLiteral("Actor"), actor},
                               {QStringLiteral("timeNano"), qint64(1795756979841201897)}};
        Q_EMIT eventReceived(ContainerEvent::fromJson(line));
    }
    void releaseInspects()
    {
        holdInspects = false;
        const QList<std::function<void()>> held = std::exchange(m_held, {});
        for (const auto &answer : held)
            answer();
    }
    int heldInspects() const { return int(m_held.size()); }
    // dockerd went away: the stream is cut.
    void cutEvents(const QString &why)
    {
        eventsOpen = false;
        Q_EMIT eventsClosed(why);
    }

    QString describe() const override { return QStringLiteral("unix:///fake/docker.sock"); }
    void ping(QObject *context, std::function<void(const QString &)> done) override
    {
        ++pings;
        later(context, [done] { done(QString()); });
    }
    void startEvents() override
    {
        eventsOpen = true;
        QTimer::singleShot(0, this, [this] { Q_EMIT eventsOpened(); });
    }
    void stopEvents() override { eventsOpen = false; }
    void listContainers(QObject *context, std::function<void(const ContainerList &)> done) override
    {
        ++lists;
        ContainerList list;
        list.error = listError;
        if (listError.isEmpty())
            list.ids = running;
        later(context, [done, list] { done(list); });
    }
    void inspectContainer(const QString &id, QObject *context,
                          std::function<void(const InspectResult &)> done) override
    {
        ++inspects;
        maxInFlight = qMax(maxInFlight, ++inFlight);
        InspectResult r;
        if (containers.contains(id)) {
            r.container = ContainerInspect::fromJson(containers.value(id));
        } else {
            r.notFound = true;
            r.error = QStringLiteral("Docker at %1 answered 404 Not Found to GET "
                                     "/v1.41/containers/%2/json: No such container: %2")
                          .arg(describe(), id);
        }
        auto answer = [this, done, r] {
            --inFlight;
            ++answered;
            done(r);
        };
        later(context, answer, holdInspects);
    }

private:
    // Answers from the event loop, like a socket would, and never to a destroyed context.
    void later(QObject *context, std::function<void()> answer, bool hold = false)
    {
        QPointer<QObject> guard(context);
        auto guarded = [guard, answer] {
            if (guard)
                answer();
        };
        if (hold)
            m_held << guarded;
        else
            QTimer::singleShot(0, this, guarded);
    }

    QList<std::function<void()>> m_held;
};
