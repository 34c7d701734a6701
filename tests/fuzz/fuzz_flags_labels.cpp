// Label and flag parsing. The first byte picks the parser, the rest is its input:
//   'F' (or another byte % 3 == 0): the agent's command line, one argument per line;
//   'T' (or % 3 == 1): a -tags template, compiled and run against a small container;
//   'L' (or % 3 == 2): SERVICE_* labels and env, one "KEY=VALUE" per line, and the escaped-comma
//                      split of every value.
// Each checks its own invariants (below) besides "no crash, no sanitizer report".
#include "agent/AgentOptions.h"
#include "service/ServiceMetadata.h"
#include "service/TagTemplate.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <cstdio>
#include <cstdlib>

namespace {

void check(bool condition, const char *what, const QString &detail = {})
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s %s\n", what, qPrintable(detail.left(200)));
        std::abort();
    }
}

// Writes the options back as flags; parsing them again must give the same options.
QStringList asArguments(const AgentOptions &o)
{
    auto b = [](bool v) { return v ? QStringLiteral("true") : QStringLiteral("false"); };
    // An empty -hostname is refused; left out, the OS host name applies (as parsed).
    const QString hostname = o.hostname.isEmpty() ? QStringLiteral("-ip=") + o.hostIp
                                                  : QStringLiteral("-hostname=") + o.hostname;
    return {QStringLiteral("-ip=") + o.hostIp,
            QStringLiteral("-internal=") + b(o.internal),
            QStringLiteral("-explicit=") + b(o.explicitOnly),
            QStringLiteral("-useIpFromLabel=") + o.useIpFromLabel,
            QStringLiteral("-tags=") + o.tags,
            QStringLiteral("-ttl=%1").arg(o.ttl),
            QStringLiteral("-ttl-refresh=%1").arg(o.ttlRefresh),
            QStringLiteral("-resync=%1").arg(o.resync),
            QStringLiteral("-deregister=") + o.deregister,
            QStringLiteral("-retry-attempts=%1").arg(o.retryAttempts),
            QStringLiteral("-retry-interval=%1").arg(o.retryInterval),
            QStringLiteral("-cleanup=") + b(o.cleanup),
            hostname,
            QStringLiteral("-etcd-cacert=") + o.etcdCaFile,
            QStringLiteral("-etcd-cert=") + o.etcdCertFile,
            QStringLiteral("-etcd-key=") + o.etcdKeyFile,
            QStringLiteral("-etcd-user=") + o.etcdUser,
            QStringLiteral("-etcd-password-file=") + o.etcdPasswordFile,
            QStringLiteral("-portolan-prefix=") + o.portolanPrefix,
            QStringLiteral("-feed=") + o.feed,
            QStringLiteral("-feed-token-file=") + o.feedTokenFile,
            QStringLiteral("-feed-cert=") + o.feedCertFile,
            QStringLiteral("-feed-key=") + o.feedKeyFile,
            QStringLiteral("--"),
            o.registryUri};
}

bool sameOptions(const AgentOptions &a, const AgentOptions &b)
{
    return asArguments(a) == asArguments(b);
}

void fuzzFlags(const QString &text)
{
    const QStringList args = text.split(QLatin1Char('\n'));
    const AgentArguments parsed = AgentArguments::parse(args);
    check(AgentArguments::parse(args).outcome == parsed.outcome, "deterministic");
    switch (parsed.outcome) {
    case AgentArguments::Outcome::Error:
        check(!parsed.error.isEmpty(), "an error has a message");
        break;
    case AgentArguments::Outcome::Help:
    case AgentArguments::Outcome::Version:
        break;
    case AgentArguments::Outcome::Run: {
        const AgentOptions &o = parsed.options;
        check(!o.registryUri.isNull(), "a run has a registry URI");
        check(o.ttl >= 2, "ttl at least 2");
        check(o.ttlRefresh >= 0 && (o.ttlRefresh == 0 || o.ttlRefresh < o.ttl), "ttl-refresh");
        check(o.retryInterval >= 1 && o.retryAttempts >= -1 && o.resync >= 0, "integers");
        check(o.deregister == QLatin1String("always") ||
                  o.deregister == QLatin1String("on-success"),
              "deregister", o.deregister);
        check(!o.hostname.contains(QLatin1Char('/')) && !o.hostname.contains(QLatin1Char(':')),
              "hostname", o.hostname);
        check(o.portolanPrefix.startsWith(QLatin1Char('/')), "prefix", o.portolanPrefix);
        const AgentArguments again = AgentArguments::parse(asArguments(o));
        check(again.outcome == AgentArguments::Outcome::Run, "written-back flags parse",
              again.error);
        check(sameOptions(again.options, o), "written-back flags give the same options");
        break;
    }
    }
}

QJsonObject container()
{
    static const QJsonObject c = QJsonDocument::fromJson(R"({
        "Id": "e20f9c1a76565d62ae24a3bb877b17b862b6eab94f4e95a0e07ccf25087aaf4f",
        "Name": "/web.1",
        "Config": {"Hostname": "e20f9c1a7656", "Image": "example/Web:1",
                   "Env": ["ENVIRONMENT=test", "SERVICE_8105_NAME=foo", "HOME=/home/foobar"],
                   "Cmd": null, "Labels": {"team": "Infra", "tags": "a b,c"}},
        "State": {"Running": true, "Pid": 4242},
        "NetworkSettings": {"IPAddress": "172.17.0.2",
                            "Networks": {"bridge": {"IPAddress": "172.17.0.2"}}}})")
                                     .object();
    return c;
}

void fuzzTemplate(const QString &text)
{
    QString error;
    const TagTemplate t = TagTemplate::compile(text, &error);
    check(t.isValid() == error.isEmpty(), "invalid iff error", error);
    if (!t.isValid())
        return;
    const QString out = t.execute(container(), &error);
    if (!error.isEmpty()) {
        check(out.isEmpty(), "failed execution gives no text");
        check(error.startsWith(QLatin1String("template: ")), "error names the template", error);
        check(t.tags(container(), &error).isEmpty(), "failed execution gives no tags");
        return;
    }
    check(out.toUtf8().size() <= TagTemplate::kMaxOutputBytes, "output bounded");
    QString again;
    check(t.execute(container(), &again) == out && again.isEmpty(), "deterministic");
    check(t.tags(container(), &error) == splitEscapedComma(out), "tags are the split output");
}

void fuzzLabels(const QString &text)
{
    QJsonArray env;
    QJsonObject labels;
    QStringList ports{QStringLiteral("80")};
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        env.append(line);
        const int eq = line.indexOf(QLatin1Char('='));
        if (eq >= 0)
            labels.insert(line.left(eq), line.mid(eq + 1));
        const int underscore = line.indexOf(QLatin1Char('_'), 8);
        if (line.startsWith(QLatin1String("SERVICE_")) && underscore > 8)
            ports << line.mid(8, underscore - 8);
    }
    for (const QJsonObject &config : {QJsonObject{{"Env", env}}, QJsonObject{{"Labels", labels}},
                                      QJsonObject{{"Env", env}, {"Labels", labels}}}) {
        for (const QString &port : ports) {
            const ServiceMetadata meta = ServiceMetadata::parse(config, port);
            for (auto it = meta.values.cbegin(); it != meta.values.cend(); ++it) {
                check(it.key() == it.key().toLower(), "keys are lower-case", it.key());
                for (const QString &part : splitEscapedComma(it.value()))
                    check(!part.isEmpty(), "no empty part");
            }
            for (const QString &k : meta.fromPort)
                check(meta.values.contains(k), "port keys are values", k);
        }
    }
    // The split drops only commas, empty parts and the backslash of "\,".
    const QStringList parts = splitEscapedComma(text);
    qsizetype kept = 0;
    for (const QString &p : parts) {
        check(!p.isEmpty(), "no empty part");
        kept += p.size();
    }
    check(kept <= text.size(), "split never adds text");
    check(kept >= text.size() - text.count(QLatin1Char(',')) - text.count(QLatin1Char('\\')),
          "split drops only commas and escapes");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QString text =
        QString::fromUtf8(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    const int parser = data[0] == 'F' ? 0 : data[0] == 'T' ? 1 : data[0] == 'L' ? 2 : data[0] % 3;
    switch (parser) {
    case 0:
        fuzzFlags(text);
        break;
    case 1:
        fuzzTemplate(text);
        break;
    default:
        fuzzLabels(text);
        break;
    }
    return 0;
}
