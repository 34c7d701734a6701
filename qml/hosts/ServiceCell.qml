import QtQuick
import Portolan.Dashboard

// One cell of a service row (HostsView): its column's text, elided, in the colour the row gives
// it. A plain Text, not a Label: thousands are made and re-bound while rows come and go.
Text {
    required property int column
    required property string display
    required property string serviceId
    property bool selected: false
    property color textColor: selected ? Theme.text : Theme.subtext
    objectName: "serviceCell"
    height: parent ? parent.height : 28
    leftPadding: 8
    rightPadding: 6
    verticalAlignment: Text.AlignVCenter
    elide: Text.ElideRight
    textFormat: Text.PlainText
    text: display
    color: textColor
}
