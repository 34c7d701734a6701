#include "service/TagTemplate.h"

#include "service/ServiceMetadata.h"
#include "service/TagTemplateProgram.h"

#include <QJsonArray>

using namespace tagtemplate;

namespace {

const QString kOpen = QStringLiteral("{{");
const QString kClose = QStringLiteral("}}");

bool isSpace(QChar c)
{
    return c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\n') ||
           c == QLatin1Char('\r');
}

// Finds the "}}" closing an action that starts at from, skipping quoted strings.
int findClose(const QString &text, int from)
{
    QChar quote;
    for (int i = from; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (!quote.isNull()) {
            if (c == QLatin1Char('\\') && quote == QLatin1Char('"'))
                ++i;
            else if (c == quote)
                quote = QChar();
            continue;
        }
        if (c == QLatin1Char('"') || c == QLatin1Char('`'))
            quote = c;
        else if (c == QLatin1Char('}') && i + 1 < text.size() && text.at(i + 1) == QLatin1Char('}'))
            return i;
    }
    return -1;
}

// Looks key up exactly, then case-insensitively: Go decodes JSON case-insensitively into
// fsouza's structs, so the template's .ID reads the inspect key "Id".
QJsonValue member(const QJsonObject &o, const QString &key)
{
    const auto it = o.constFind(key);
    if (it != o.constEnd())
        return it.value();
    for (auto i = o.begin(); i != o.end(); ++i) {
        if (i.key().compare(key, Qt::CaseInsensitive) == 0)
            return i.value();
    }
    return QJsonValue(QJsonValue::Null);
}

class Executor {
public:
    explicit Executor(const QJsonObject &root) : m_root(root) {}

    bool run(const Pipeline &pipe, QJsonValue *out, QString *error)
    {
        QJsonValue previous;
        for (int c = 0; c < pipe.commands.size(); ++c) {
            const Command &cmd = pipe.commands.at(c);
            QList<QJsonValue> values;
            for (const Arg &arg : cmd.args) {
                QJsonValue v;
                if (!evaluate(arg, &v, error))
                    return false;
                values.append(v);
            }
            if (c > 0)
                values.append(previous);
            if (cmd.function.isEmpty()) {
                previous = values.value(0);
                continue;
            }
            const Function *f = findFunction(cmd.function);
            QList<QJsonValue> converted;
            for (int a = 0; a < values.size(); ++a) {
                const Type t = a < f->params.size() ? f->params.at(a) : Type::Int;
                QJsonValue v;
                QString why;
                if (!convert(values.at(a), t, &v, &why)) {
                    *error =
                        QStringLiteral("argument %1 of %2: %3").arg(a + 1).arg(cmd.function, why);
                    return false;
                }
                converted.append(v);
            }
            QString why;
            previous = f->call(converted, &why);
            if (why.isEmpty() && previous.toString().size() > TagTemplate::kMaxOutputBytes)
                why = QStringLiteral("result is larger than %1 bytes")
                          .arg(TagTemplate::kMaxOutputBytes);
            if (!why.isEmpty()) {
                *error = cmd.function + QStringLiteral(": ") + why;
                return false;
            }
        }
        *out = previous;
        return true;
    }

private:
    bool evaluate(const Arg &arg, QJsonValue *out, QString *error)
    {
        switch (arg.kind) {
        case Arg::Literal:
            *out = arg.literal;
            return true;
        case Arg::Sub:
            return run(*arg.sub, out, error);
        case Arg::Field: {
            QJsonValue v = m_root;
            QString walked;
            for (const QString &name : arg.path) {
                if (v.isNull() || v.isUndefined()) {
                    *out = QJsonValue(QJsonValue::Null); // like a nil pointer's zero value
                    return true;
                }
                if (!v.isObject()) {
                    *error = QStringLiteral("can't evaluate field %1 in .%2: not an object")
                                 .arg(name, walked);
                    return false;
                }
                v = member(v.toObject(), name);
                walked += (walked.isEmpty() ? QString() : QStringLiteral(".")) + name;
            }
            *out = v;
            return true;
        }
        }
        return false;
    }

    QJsonObject m_root;
};

} // namespace

TagTemplate TagTemplate::compile(const QString &text, QString *error)
{
    auto program = std::make_shared<Program>();
    QString pending; // literal text not yet stored (right-trim may still apply)
    int i = 0;
    while (i < text.size()) {
        const int open = text.indexOf(kOpen, i);
        if (open < 0) {
            pending += text.mid(i);
            break;
        }
        pending += text.mid(i, open - i);
        int body = open + 2;
        if (body + 1 < text.size() && text.at(body) == QLatin1Char('-') &&
            isSpace(text.at(body + 1))) {
            while (!pending.isEmpty() && isSpace(pending.back()))
                pending.chop(1);
            ++body;
        }
        const int close = findClose(text, body);
        if (close < 0) {
            *error = QStringLiteral("-tags template: column %1: unclosed action").arg(open + 1);
            return {};
        }
        int end = close;
        bool trimRight = false;
        if (end - 1 >= body && text.at(end - 1) == QLatin1Char('-') && end - 2 >= body &&
            isSpace(text.at(end - 2))) {
            trimRight = true;
            --end;
        }
        const QString inside = text.mid(body, end - body);
        const QString trimmed = inside.trimmed();
        if (!trimmed.startsWith(QLatin1String("/*"))) {
            QString why;
            auto pipe = trimmed.isEmpty() ? nullptr : parseAction(inside, body, &why);
            if (!pipe) {
                *error = QStringLiteral("-tags template: ") +
                         (trimmed.isEmpty()
                              ? QStringLiteral("column %1: missing value for action").arg(open + 1)
                              : why);
                return {};
            }
            if (!pending.isEmpty())
                program->nodes.append({pending, nullptr});
            pending.clear();
            program->nodes.append({QString(), pipe});
        } else if (!trimmed.endsWith(QLatin1String("*/"))) {
            *error = QStringLiteral("-tags template: column %1: unclosed comment").arg(open + 1);
            return {};
        }
        i = close + 2;
        if (trimRight) {
            while (i < text.size() && isSpace(text.at(i)))
                ++i;
        }
    }
    if (!pending.isEmpty())
        program->nodes.append({pending, nullptr});
    TagTemplate t;
    t.m_program = program;
    t.m_source = text;
    return t;
}

QString TagTemplate::execute(const QJsonObject &inspect, QString *error) const
{
    if (!m_program)
        return {};
    Executor executor(inspect);
    QString out;
    for (const Node &node : m_program->nodes) {
        if (!node.pipeline) {
            out += node.text;
        } else {
            QJsonValue v;
            QString why, text;
            if (!executor.run(*node.pipeline, &v, &why) || !print(v, &text, &why)) {
                *error = QStringLiteral("template: ") + why;
                return {};
            }
            out += text;
        }
        if (out.size() > kMaxOutputBytes / 2 && out.toUtf8().size() > kMaxOutputBytes) {
            *error =
                QStringLiteral("template: output is larger than %1 bytes").arg(kMaxOutputBytes);
            return {};
        }
    }
    return out;
}

QStringList TagTemplate::tags(const QJsonObject &inspect, QString *error) const
{
    QString why;
    const QString text = execute(inspect, &why);
    if (!why.isEmpty()) {
        *error = why;
        return {};
    }
    return splitEscapedComma(text);
}
