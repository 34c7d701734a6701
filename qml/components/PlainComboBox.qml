pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls

// A ComboBox whose popup rows show their text as typed. The Basic style's rows (an IconLabel)
// would lay out rich text, and the host and service names in the filters come from containers.
// Otherwise the rows look like the Basic style's own.
ComboBox {
    id: box
    delegate: ItemDelegate {
        id: row
        required property var modelData
        required property int index
        width: ListView.view.width
        text: modelData
        palette.text: box.palette.text
        palette.highlightedText: box.palette.highlightedText
        font.weight: box.currentIndex === index ? Font.DemiBold : Font.Normal
        highlighted: box.highlightedIndex === index
        hoverEnabled: box.hoverEnabled
        contentItem: Text {
            textFormat: Text.PlainText
            text: row.text
            font: row.font
            color: row.highlighted ? row.palette.highlightedText : row.palette.text
            verticalAlignment: Text.AlignVCenter
        }
    }
}
