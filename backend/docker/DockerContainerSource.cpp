#include "docker/DockerContainerSource.h"

#include <QJsonArray>
#include <QJsonObject>

DockerContainerSource::DockerContainerSource(const DockerEndpoint &endpoint, QObject *parent)
    : ContainerSource(parent), m_client(endpoint), m_events(endpoint)
{
    connect(&m_events, &DockerEventStream::opened, this, &ContainerSource::eventsOpened);
    connect(&m_events, &DockerEventStream::eventReceived, this, &ContainerSource::eventReceived);
    connect(&m_events, &DockerEventStream::eventDropped, this, &ContainerSource::eventDropped);
    connect(&m_events, &DockerEventStream::closed, this, &ContainerSource::eventsClosed);
}

QString DockerContainerSource::describe() const
{
    return m_client.endpoint().describe();
}

void DockerContainerSource::ping(QObject *context, std::function<void(const QString &)> done)
{
    m_client.ping(context, [this, done = std::move(done)](const DockerResult &r) {
        if (r.ok())
            done(QString());
        else if (!r.error.isEmpty())
            done(r.error); // DockerClient's errors already name the daemon
        else
            done(QStringLiteral("Docker at %1 answered HTTP %2 to a ping")
                     .arg(describe())
                     .arg(r.status));
    });
}

void DockerContainerSource::startEvents()
{
    m_events.start(m_client.apiVersion());
}

void DockerContainerSource::stopEvents()
{
    m_events.stop();
}

void DockerContainerSource::listContainers(QObject *context,
                                           std::function<void(const ContainerList &)> done)
{
    m_client.listContainers(context, [done = std::move(done)](const DockerResult &r) {
        ContainerList list;
        list.error = r.error;
        if (r.ok()) {
            const QJsonArray containers = r.json.array();
            list.ids.reserve(containers.size());
            for (const QJsonValue &c : containers)
                list.ids << c.toObject().value(QLatin1String("Id")).toString();
        }
        done(list);
    });
}

void DockerContainerSource::inspectContainer(const QString &id, QObject *context,
                                             std::function<void(const InspectResult &)> done)
{
    m_client.inspectContainer(id, context, [done = std::move(done)](const DockerResult &r) {
        InspectResult result;
        result.notFound = r.notFound();
        if (r.ok())
            result.container = ContainerInspect::fromJson(r.json.object());
        else
            result.error = r.error.isEmpty() ? QStringLiteral("HTTP %1").arg(r.status) : r.error;
        done(result);
    });
}

void DockerContainerSource::daemonVersion(QObject *context,
                                          std::function<void(const QString &)> done)
{
    m_client.version(context, [done = std::move(done)](const DockerResult &r) {
        if (r.ok())
            done(r.json.object().value(QLatin1String("Version")).toString());
    });
}
