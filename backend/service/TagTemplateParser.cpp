#include "service/TagTemplateProgram.h"

namespace tagtemplate {
namespace {

bool isSpace(QChar c)
{
    return c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\n') ||
           c == QLatin1Char('\r');
}

bool isIdentChar(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_');
}

// Parses the inside of one {{ }} action. Positions in errors count from 1 in the whole template.
class ActionParser {
public:
    ActionParser(const QString &text, int offset) : m_s(text), m_offset(offset) {}

    std::shared_ptr<Pipeline> parse(QString *error)
    {
        auto pipe = pipeline(error);
        if (pipe && !atEnd()) {
            fail(QStringLiteral("unexpected \"%1\"").arg(m_s.at(m_i)), error);
            return nullptr;
        }
        return pipe;
    }

private:
    bool atEnd()
    {
        skipSpace();
        return m_i >= m_s.size();
    }
    void skipSpace()
    {
        while (m_i < m_s.size() && isSpace(m_s.at(m_i)))
            ++m_i;
    }
    std::nullptr_t fail(const QString &message, QString *error)
    {
        if (error->isEmpty())
            *error = QStringLiteral("column %1: %2").arg(m_offset + m_i + 1).arg(message);
        return nullptr;
    }

    std::shared_ptr<Pipeline> pipeline(QString *error)
    {
        auto pipe = std::make_shared<Pipeline>();
        for (;;) {
            Command cmd;
            if (!command(&cmd, error))
                return nullptr;
            if (!pipe->commands.isEmpty() && cmd.function.isEmpty())
                return fail(QStringLiteral("cannot pipe into a value; put a function after '|'"),
                            error);
            pipe->commands.append(cmd);
            if (atEnd() || m_s.at(m_i) != QLatin1Char('|'))
                break;
            ++m_i;
        }
        if (!checkArity(*pipe, error))
            return nullptr;
        return pipe;
    }

    bool checkArity(const Pipeline &pipe, QString *error)
    {
        for (int c = 0; c < pipe.commands.size(); ++c) {
            const Command &cmd = pipe.commands.at(c);
            if (cmd.function.isEmpty())
                continue;
            const Function *f = findFunction(cmd.function);
            const int given = cmd.args.size() + (c > 0 ? 1 : 0);
            const int want = f->params.size();
            if (given < want || (!f->variadicInts && given > want)) {
                fail(QStringLiteral("wrong number of arguments for %1: want %2%3, got %4")
                         .arg(cmd.function)
                         .arg(want)
                         .arg(f->variadicInts ? QStringLiteral(" or more") : QString())
                         .arg(given),
                     error);
                return false;
            }
            for (int a = 0; a < cmd.args.size(); ++a) { // literal types are known now
                const Arg &arg = cmd.args.at(a);
                if (arg.kind != Arg::Literal)
                    continue;
                const Type t = a < want ? f->params.at(a) : Type::Int;
                QJsonValue converted;
                QString why;
                if (!convert(arg.literal, t, &converted, &why)) {
                    fail(QStringLiteral("argument %1 of %2: %3").arg(a + 1).arg(cmd.function, why),
                         error);
                    return false;
                }
            }
        }
        return true;
    }

    bool command(Command *cmd, QString *error)
    {
        skipSpace();
        if (m_i < m_s.size() && m_s.at(m_i).isLetter()) {
            const int start = m_i;
            while (m_i < m_s.size() && isIdentChar(m_s.at(m_i)))
                ++m_i;
            const QString name = m_s.mid(start, m_i - start);
            static const QStringList keywords = {
                QStringLiteral("if"),      QStringLiteral("else"),     QStringLiteral("end"),
                QStringLiteral("range"),   QStringLiteral("with"),     QStringLiteral("define"),
                QStringLiteral("block"),   QStringLiteral("template"), QStringLiteral("break"),
                QStringLiteral("continue")};
            if (name == QLatin1String("httpGet") || name == QLatin1String("jsonParse")) {
                m_i = start;
                fail(QStringLiteral("function \"%1\" is not supported by Portolan (it would fetch "
                                    "a URL on every registration)")
                         .arg(name),
                     error);
                return false;
            }
            if (keywords.contains(name)) {
                m_i = start;
                fail(QStringLiteral("{{%1}} is not supported; only fields, literals, functions "
                                    "and pipelines are")
                         .arg(name),
                     error);
                return false;
            }
            if (!findFunction(name)) {
                m_i = start;
                fail(QStringLiteral("function \"%1\" not defined").arg(name), error);
                return false;
            }
            cmd->function = name;
            while (!atEnd() && m_s.at(m_i) != QLatin1Char('|') && m_s.at(m_i) != QLatin1Char(')')) {
                Arg arg;
                if (!operand(&arg, error))
                    return false;
                cmd->args.append(arg);
            }
            return true;
        }
        Arg arg;
        if (!operand(&arg, error))
            return false;
        cmd->args.append(arg);
        if (!atEnd() && m_s.at(m_i) != QLatin1Char('|') && m_s.at(m_i) != QLatin1Char(')')) {
            fail(QStringLiteral("a value cannot take arguments; only functions can"), error);
            return false;
        }
        return true;
    }

    bool operand(Arg *arg, QString *error)
    {
        skipSpace();
        if (m_i >= m_s.size()) {
            fail(QStringLiteral("missing value"), error);
            return false;
        }
        const QChar c = m_s.at(m_i);
        if (c == QLatin1Char('.'))
            return field(arg, error);
        if (c == QLatin1Char('"') || c == QLatin1Char('`'))
            return string(arg, error);
        if (c.isDigit() || c == QLatin1Char('-') || c == QLatin1Char('+'))
            return number(arg, error);
        if (c == QLatin1Char('(')) {
            ++m_i;
            arg->kind = Arg::Sub;
            arg->sub = pipeline(error);
            if (!arg->sub)
                return false;
            if (atEnd() || m_s.at(m_i) != QLatin1Char(')')) {
                fail(QStringLiteral("unclosed '('"), error);
                return false;
            }
            ++m_i;
            return true;
        }
        if (c == QLatin1Char('$')) {
            fail(QStringLiteral("variables are not supported"), error);
            return false;
        }
        if (c.isLetter()) {
            const int start = m_i;
            while (m_i < m_s.size() && isIdentChar(m_s.at(m_i)))
                ++m_i;
            const QString word = m_s.mid(start, m_i - start);
            m_i = start;
            if (findFunction(word))
                fail(QStringLiteral("put function %1 in parentheses to use it as an argument")
                         .arg(word),
                     error);
            else
                fail(QStringLiteral("\"%1\" is not supported here").arg(word), error);
            return false;
        }
        fail(QStringLiteral("unexpected \"%1\"").arg(c), error);
        return false;
    }

    bool field(Arg *arg, QString *error)
    {
        arg->kind = Arg::Field;
        ++m_i; // the leading '.'
        if (m_i >= m_s.size() || !isIdentChar(m_s.at(m_i)))
            return true; // "." alone: the whole container
        for (;;) {
            const int start = m_i;
            while (m_i < m_s.size() && isIdentChar(m_s.at(m_i)))
                ++m_i;
            if (m_i == start) {
                fail(QStringLiteral("missing field name after '.'"), error);
                return false;
            }
            arg->path.append(m_s.mid(start, m_i - start));
            if (m_i >= m_s.size() || m_s.at(m_i) != QLatin1Char('.'))
                return true;
            ++m_i;
        }
    }

    bool number(Arg *arg, QString *error)
    {
        const int start = m_i;
        if (m_s.at(m_i) == QLatin1Char('-') || m_s.at(m_i) == QLatin1Char('+'))
            ++m_i;
        while (m_i < m_s.size() && (isIdentChar(m_s.at(m_i)) || m_s.at(m_i) == QLatin1Char('.')))
            ++m_i;
        bool ok = false;
        const qint64 n = m_s.mid(start, m_i - start).toLongLong(&ok, 10);
        if (!ok) {
            m_i = start;
            fail(QStringLiteral("only decimal integer literals are supported"), error);
            return false;
        }
        arg->kind = Arg::Literal;
        arg->literal = QJsonValue(n);
        return true;
    }

    bool string(Arg *arg, QString *error)
    {
        const QChar quote = m_s.at(m_i++);
        QString out;
        while (m_i < m_s.size() && m_s.at(m_i) != quote) {
            QChar c = m_s.at(m_i++);
            if (c == QLatin1Char('\\') && quote == QLatin1Char('"')) {
                if (!escape(&out, error))
                    return false;
                continue;
            }
            if (c == QLatin1Char('\n') && quote == QLatin1Char('"')) {
                fail(QStringLiteral("newline in string"), error);
                return false;
            }
            out.append(c);
        }
        if (m_i >= m_s.size()) {
            fail(QStringLiteral("unterminated string"), error);
            return false;
        }
        ++m_i;
        arg->kind = Arg::Literal;
        arg->literal = out;
        return true;
    }

    bool escape(QString *out, QString *error)
    {
        if (m_i >= m_s.size()) {
            fail(QStringLiteral("unterminated string"), error);
            return false;
        }
        const QChar c = m_s.at(m_i++);
        static const QString simple = QStringLiteral("abfnrtv\\\"'");
        static const QString value = QStringLiteral("\a\b\f\n\r\t\v\\\"'");
        const int k = simple.indexOf(c);
        if (k >= 0) {
            out->append(value.at(k));
            return true;
        }
        const int digits = c == QLatin1Char('x')   ? 2
                           : c == QLatin1Char('u') ? 4
                           : c == QLatin1Char('U') ? 8
                                                   : 0;
        bool ok = false;
        const uint code = m_s.mid(m_i, digits).toUInt(&ok, 16);
        if (digits == 0 || !ok || m_s.mid(m_i, digits).size() != digits || code > 0x10FFFF) {
            fail(QStringLiteral("unsupported escape \\%1 in string").arg(c), error);
            return false;
        }
        m_i += digits;
        const char32_t ch = code;
        out->append(QString::fromUcs4(&ch, 1));
        return true;
    }

    const QString &m_s;
    int m_offset;
    int m_i = 0;
};

} // namespace

std::shared_ptr<Pipeline> parseAction(const QString &text, int offset, QString *error)
{
    return ActionParser(text, offset).parse(error);
}

} // namespace tagtemplate
