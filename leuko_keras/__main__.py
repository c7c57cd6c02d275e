from leuko_keras.cli import main

main()
